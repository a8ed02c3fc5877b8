#!/bin/bash
# Does the look-ahead learner pick up the stronger teacher "cut seek (predicted)"? (Session 23, a
# CPU probe.) From the shipped look-ahead source (its first SEEDS seeds, default 1), fine-tune at
# M=4, N=10 for STEPS env steps/seed (default 262 144; one PPO epoch, lr 3e-4, the teacher
# labelling 32 of the 256 envs) with
#   P: the teacher cut seek (predicted) and the look-ahead feature 3 steps ahead
#      (ppo.teacher=cut_seek_predicted env.link_lookahead_steps=3; the row keeps its width);
#   C: the control, the source's own teacher cut seek (checked) and feature (more training only);
# then evaluate each, and the source itself, zero-shot at M=40, N=100 on the transfer study's 32
# episodes against cut seek (experiments/paired.py; per-episode numbers in OUT/pair_*/paired.json,
# so the arms pair with each other and with joint_teacher.py's saved teachers).
#   bash experiments/predicted_probe.sh runs/s23          # P, src, C: about 45 minutes on a 2-core CPU
#   STEPS=1048576 bash experiments/predicted_probe.sh runs/s23long P     # one arm, 4x longer
set -u
OUT=${1:?usage: predicted_probe.sh OUT_DIR [P|C|src ...]}; shift
JOBS=${*:-P src C}
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
PY=${PY:-python}
SEEDS=${SEEDS:-1}
STEPS=${STEPS:-262144}
SRC=experiments/sources/attention_look_m4_2M_8seeds.pkl.xz
BASE="env.obs=entity ppo.network=attention ppo.hidden=32 ppo.attention_layers=1 ppo.attention_mode=query ppo.imitation_coef=1 ppo.num_envs=256 ppo.rollout_steps=64 ppo.teacher=cut_seek_checked env.link_lookahead=true"
FT="ppo.update_epochs=1 ppo.lr_actor=3e-4 ppo.teacher_envs=32 ppo.num_minibatches=32"
mkdir -p "$OUT"
tune() {  # arm name, then --target-set additions
  local n=$1; shift
  echo "$(date -u +%T) fine-tune $n"
  $PY experiments/transfer.py --seeds "$SEEDS" --source-from $SRC --base $BASE --target 4x10 --arms tune \
    --zero-shot none --target-steps "$STEPS" --milestones 1 --episodes 32 --no-planner --target-set $FT "$@" \
    --save-trained "$OUT/$n" --out "$OUT/$n" > "$OUT/$n.log" 2>&1 || { echo "failed: $OUT/$n.log"; exit 1; }
  tail -2 "$OUT/$n.log"
}
pair() {  # arm name, parameters file, then --base additions
  local n=$1 f=$2; shift 2
  echo "$(date -u +%T) zero-shot at M=40: $n"
  $PY experiments/paired.py --source-from "$f" --base $BASE "$@" --seeds "$SEEDS" --scale 40x100 --episodes 32 \
    --against "cut seek" --out "$OUT/pair_$n" > "$OUT/pair_$n.log" 2>&1 || { echo "failed: $OUT/pair_$n.log"; exit 1; }
  tail -3 "$OUT/pair_$n.log"
}
for job in $JOBS; do
  case $job in
    P) tune P ppo.teacher=cut_seek_predicted env.link_lookahead_steps=3
       pair P "$OUT/P/tune.pkl" env.link_lookahead_steps=3 ;;
    C) tune C; pair C "$OUT/C/tune.pkl" ;;
    src) pair src $SRC ;;
    *) echo "unknown job $job (P C src)" >&2; exit 2 ;;
  esac
done
echo "$(date -u +%T) done"
