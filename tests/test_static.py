"""The static stepper's payload: packed traces and pictures, one per step, all presets of a routine."""
import base64
import gzip
import json
import re

from gosched_book import PRESETS, run
from gosched_book.trace import from_dict, to_dict
from gosched_book.views.static import pack, payload, stepper_html
from gosched_book.scenario import Scenario


def unpack(html):
    blob = re.search(r"class='gsb-data'>([^<]+)</script>", html).group(1)
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def test_stepper_carries_every_preset_of_its_routine_shown_one_first():
    data = unpack(stepper_html([Scenario("systemstack", "bad")]))
    keys = [s["key"] for s in data["scenarios"]]
    assert keys[0] == "systemstack:bad"
    assert sorted(keys) == sorted(f"systemstack:{p}" for p in PRESETS["systemstack"])


def test_each_step_has_a_picture_and_pictures_are_deduplicated():
    data = payload([Scenario("mcall")])
    (sc,) = data["scenarios"]
    n = len(sc["trace"]["steps"])
    assert len(sc["pictures"]) == n + 1
    assert len(data["pictures"]) == len(set(data["pictures"])) < n + 1
    assert all(p.startswith("<svg") and "http://purl" not in p for p in data["pictures"])


def test_payload_trace_is_the_run_trace():
    data = payload([Scenario("gogo", "nil_g")])
    t = from_dict(data["scenarios"][0]["trace"])
    assert to_dict(t) == to_dict(run("gogo", "nil_g"))


def test_listings_cover_every_file_the_trace_touches():
    data = payload([Scenario("roundtrip")])
    files = {s["file"] for s in data["scenarios"][0]["trace"]["steps"]}
    assert files <= set(data["listings"])


def test_markup_has_accessible_controls_and_no_inline_data_as_html():
    html = stepper_html([Scenario("mcall")])
    for label in ("首步", "上一步", "下一步", "末步", "播放", "步骤", "选择场景"):
        assert f"aria-label='{label}'" in html
    assert "role='status'" in html and "aria-live='polite'" in html
    assert "<svg" not in html  # pictures travel packed, never as markup


def test_pack_is_deterministic():
    d = payload([Scenario("abort")])
    assert pack(d) == pack(d)
