#!/bin/bash
# The next M=40 fine-tuning study (docs/results.md, Session 15, "What is left to try"), from the
# shipped source: parallel processes on one GPU, at most $PAR at a time (3 fit an 80 GB H100;
# 4 ran out of memory there in Session 15). Each job writes OUT/<job>/transfer.json and a log.
#   bash experiments/finetune_study.sh runs/ft16                  # every job
#   PAR=2 bash experiments/finetune_study.sh runs/ft16 long1m credit
# Jobs: recipe (lr 1e-4), long1m (lr 3e-4 for 1 M steps/seed), credit (per-jammer credit),
#       via (10x25, 20x50 first, each with the recipe), longsrc (a 4.2 M-step source, zero-shot),
#       cutsrc / ctlsrc (a new 2.1 M-step source with env.cut_graph=jammed / without it, side by
#       side: zero-shot at M=40, then 163 840 steps/seed of the recipe),
#       ep1 / ep2 (the recipe with 1 / 2 PPO epochs instead of 4, for TGT_STEPS steps/seed,
#       default 1 048 576: 3x / 2x cheaper updates; does learning per step hold?),
#       smallsrc (a new 2.1 M-step source with a 1-layer, hidden-32 attention network, then
#       TGT_STEPS (default 163 840) steps/seed of the recipe at M=40 with 1 PPO epoch: the
#       fastest learner config of docs/benchmarks.md — does it learn as well?),
#       fastown / fastuniq (the shipped fast source, the recipe with 1 PPO epoch for TGT_STEPS
#       (default 262 144) steps/seed with per-jammer credit: every link a jammer jams, or only
#       the links no other jammer jams — the difference reward; Session 18's smallsrc is their
#       control),
#       seeksrc / seekctl (a new fast source taught by the scripted cut-seek policy instead of
#       the planner / by the planner, side by side: M=4, zero-shot at M=40, then TGT_STEPS
#       steps/seed of the recipe at M=40 with 1 PPO epoch),
#       seekft / seekteach (the shipped cut-seek-taught source, Session 19's seeksrc, then
#       TGT_STEPS (default 1 048 576) steps/seed of the recipe at M=40 with 1 PPO epoch: without a
#       teacher / with the cut-seek teacher kept on (ppo.imitation_coef=1)),
#       othsrc (seeksrc with the teacher "cut seek (others)": each jammer's best response to the
#       graph the other jammers leave, Session 19's stronger scripted policy; seeksrc is its control),
#       chksrc (the same with the teacher "cut seek (checked)": each jammer's candidates checked by
#       the λ₂ they leave, the planner's test; 5 points above cut seek at M=40 on CPU, Session 20),
#       chkteach (the shipped cut-seek-taught source, then TGT_STEPS (default 262 144) steps/seed at
#       M=40 with "cut seek (checked)" as the teacher there (ppo.imitation_coef=1, 1 PPO epoch):
#       DAgger at the target scale with the stronger full-state teacher),
#       looksrc (chksrc with env.link_lookahead=true: each link token also holds the λ₂ the graph
#       would keep with the jammer there, the check its teacher makes; zero-shot at M=40, then
#       TGT_STEPS (default 16 384: the feature costs M × 16 eigensolves per step) at M=40).
set -eu
OUT=${1:?usage: finetune_study.sh OUT_DIR [JOB ...]}; shift
JOBS=${*:-recipe long1m credit via longsrc}
PAR=${PAR:-3}
cd "$(dirname "$0")/.."
SRC=experiments/sources/attention_m4_2M_8seeds.pkl.xz
FAST=experiments/sources/attention_fast_m4_2M_8seeds.pkl.xz  # its --base adds $SMALL
SEEK=experiments/sources/attention_seek_m4_2M_8seeds.pkl.xz  # its --base adds $SMALL ppo.teacher=cut_seek
SMALL="ppo.hidden=32 ppo.attention_layers=1"
BASE="env.obs=entity ppo.network=attention ppo.hidden=64 ppo.attention_mode=query ppo.imitation_coef=1 ppo.lr_actor=1e-3 ppo.num_envs=256 ppo.rollout_steps=64 ppo.num_minibatches=16"
TSET="ppo.teacher_envs=32 ppo.teacher_shortlist=1 ppo.num_minibatches=32 ppo.compute_dtype=bfloat16"
FT="ppo.lr_actor=3e-4 ppo.imitation_coef=0 ppo.entropy_coef=0.0002"
C="--seeds 8 --arms tune --no-planner"
S="$C --source-from $SRC --zero-shot none --target-steps 262144 --milestones 2"
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
NEW="--source-steps ${SRC_STEPS:-2097152} --target-steps ${TGT_STEPS:-163840} --milestones 1 --zero-shot target --target-set $TSET $FT"
for job in $JOBS; do
  X=""  # settings a job adds to --base (source and target)
  case $job in
    recipe)  args="$S --target-set $TSET $FT ppo.lr_actor=1e-4" ;;
    long1m)  args="$C --source-from $SRC --zero-shot none --target-steps 1048576 --milestones 4 --target-set $TSET $FT" ;;
    credit)  args="$S --target-set $TSET $FT env.credit_weight=1" ;;
    via)     args="$S --arms via --via 10x25:98304,20x50:98304 --target-set $TSET $FT" ;;
    longsrc) args="$C --source-steps 4194304 --target-steps 163840 --milestones 1 --zero-shot target --target-set $TSET $FT --save-source $OUT/src42.pkl" ;;
    ep1|ep2) args="$C --source-from $SRC --zero-shot none --target-steps ${TGT_STEPS:-1048576} --milestones 4 --target-set $TSET $FT ppo.update_epochs=${job#ep}" ;;
    cutsrc)  args="$C $NEW --save-source $OUT/cutsrc.pkl"; X="env.cut_graph=jammed" ;;
    ctlsrc)  args="$C $NEW --save-source $OUT/ctlsrc.pkl" ;;
    smallsrc) args="$C $NEW ppo.update_epochs=1 --save-source $OUT/smallsrc.pkl"; X="$SMALL" ;;
    seeksrc|seekctl) args="$C $NEW ppo.update_epochs=1 --save-source $OUT/$job.pkl"; X="$SMALL"
             [ "$job" = seeksrc ] && X="$SMALL ppo.teacher=cut_seek" ;;
    othsrc)  args="$C $NEW ppo.update_epochs=1 --save-source $OUT/$job.pkl"; X="$SMALL ppo.teacher=cut_seek_others" ;;
    chksrc)  args="$C $NEW ppo.update_epochs=1 --save-source $OUT/$job.pkl"; X="$SMALL ppo.teacher=cut_seek_checked" ;;
    looksrc) args="$C $NEW ppo.update_epochs=1 --save-source $OUT/$job.pkl --target-steps ${TGT_STEPS:-16384}"
             X="$SMALL ppo.teacher=cut_seek_checked env.link_lookahead=true" ;;
    chkteach) args="$C --source-from $SEEK --zero-shot none --target-steps ${TGT_STEPS:-262144} --milestones 2 --target-set $TSET $FT ppo.update_epochs=1 ppo.imitation_coef=1"
             X="$SMALL ppo.teacher=cut_seek_checked" ;;
    fastown|fastuniq) mode=${job#fast}; [ "$mode" = uniq ] && mode=unique
             args="$C --source-from $FAST --zero-shot none --target-steps ${TGT_STEPS:-262144} --milestones 1 --target-set $TSET $FT ppo.update_epochs=1 env.credit_weight=1 env.credit_mode=$mode"; X="$SMALL" ;;
    seekft|seekteach) args="$C --source-from $SEEK --zero-shot none --target-steps ${TGT_STEPS:-1048576} --milestones 2 --target-set $TSET $FT ppo.update_epochs=1"
             X="$SMALL ppo.teacher=cut_seek"; [ "$job" = seekteach ] && args="$args ppo.imitation_coef=1" ;;
    *) echo "unknown job $job (recipe long1m credit via longsrc cutsrc ctlsrc ep1 ep2 smallsrc fastown fastuniq seeksrc seekctl seekft seekteach othsrc chksrc chkteach looksrc)" >&2; exit 2 ;;
  esac
  while [ "$(jobs -rp | wc -l)" -ge "$PAR" ]; do sleep 5; done
  mkdir -p "$OUT/$job"
  echo "$(date -u +%H:%M:%S) start $job"
  # shellcheck disable=SC2086  # the argument lists split on purpose
  python3 experiments/transfer.py $args --base $BASE $X --out "$OUT/$job" > "$OUT/$job/log" 2>&1 &
done
wait
for job in $JOBS; do echo "== $job"; grep -E "^(zero-shot|M=|via|  *fine|curriculum)" "$OUT/$job/log" || tail -n 3 "$OUT/$job/log"; done
