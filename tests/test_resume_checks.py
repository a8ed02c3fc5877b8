"""Which config changes a resume accepts (pure checks: no training)."""

import pytest

from jaxjam.config import override, preset, to_dict
from jaxjam.resume import CHUNK_GEOMETRY, check_config_change


@pytest.mark.parametrize("key, value", [("run.updates_per_chunk", 3), ("ppo.rollout_steps", 32),
                                        ("ppo.num_envs", 32)])
def test_a_changed_chunk_geometry_is_refused_even_when_changes_are_allowed(key, value):
    saved = to_dict(preset("default"))
    changed = override(preset("default"), {key: value})
    with pytest.raises(ValueError, match=key.replace(".", r"\.")) as err:
        check_config_change(saved, changed, allow=True)
    assert all(k in str(err.value) for k in CHUNK_GEOMETRY) and "--init-from" in str(err.value)


def test_free_and_allowed_changes_pass_and_are_listed():
    saved = to_dict(preset("default"))
    total = saved["ppo"]["total_steps"]
    assert check_config_change(saved, override(preset("default"), {"ppo.total_steps": 4096}),
                               allow=False) == [f"ppo.total_steps: {total!r} -> 4096"]
    lr = override(preset("default"), {"ppo.lr_actor": 0.1})
    with pytest.raises(ValueError, match="--allow-config-change"):
        check_config_change(saved, lr, allow=False)
    assert len(check_config_change(saved, lr, allow=True)) == 1
