"""The static stepper's payload: traces and picture models, deduplicated, merged per page."""
import json
import re

from gosched_book import PRESETS, run
from gosched_book.trace import from_dict, to_dict
from gosched_book.views import picture
from gosched_book.views.model import state
from gosched_book.views.static import (PAGE_DATA_ID, merge, merge_page, pack, payload, stepper_html,
                                       undelta_regs, unpack)
from gosched_book.scenario import Scenario


def blob_of(html):
    return unpack(re.search(r"class='gsb-data'>([^<]+)</script>", html).group(1))


def keys_of(html):
    return json.loads(re.search(r'data-gsb-keys="([^"]+)"', html).group(1).replace("&quot;", '"'))


def test_stepper_offers_every_preset_of_its_routine_shown_one_first():
    html = stepper_html([Scenario("systemstack", "bad")], what_if=True)
    keys = keys_of(html)
    assert keys[0] == "systemstack:bad"
    assert sorted(keys) == sorted(f"systemstack:{p}" for p in PRESETS["systemstack"])
    blob = blob_of(html)
    assert set(keys) <= set(blob["scenarios"])
    # the rest are the what-if runs of the shown scenario's controls, nothing else
    from gosched_book.views.static_controls import spec

    runs = {s.key for s in spec(Scenario("systemstack", "bad"))[1]}
    assert set(blob["scenarios"]) == set(keys) | runs


def test_each_step_has_a_picture_and_panels_are_deduplicated():
    data = payload([Scenario("mcall")])
    sc = data["scenarios"]["mcall:normal"]
    n = len(sc["trace"]["steps"])
    assert len(sc["pics"]) == len(sc["alts"]) == n + 1
    assert len(data["pictures"]) < n + 1  # steps that change no word share a picture
    flat = [json.dumps(p) for p in data["panels"]]
    assert len(flat) == len(set(flat))
    # a step that only writes g0's stack reuses g's panel
    pics = [data["pictures"][i] for i in sc["pics"]]
    assert any(a[0] == b[0] and a[1] != b[1] for a, b in zip(pics, pics[1:]))


def test_payload_pictures_are_the_model():
    t = run("gogo", "normal")
    data = payload([Scenario("gogo")])
    sc = data["scenarios"]["gogo:normal"]
    for k in (0, 5, len(t.steps)):
        want = [picture.panel_json(p) for p in picture.build(state(t, k)).panels]
        got = [data["panels"][i] for i in data["pictures"][sc["pics"][k]]]
        assert got == want
        assert sc["alts"][k] == picture.build(state(t, k)).alt


def test_payload_trace_is_the_run_trace_after_undelta():
    data = payload([Scenario("roundtrip", "twice")])
    d = data["scenarios"]["roundtrip:twice"]["trace"]
    assert sum(len(s["regs"]) for s in d["steps"]) < 4 * len(d["steps"])  # delta-encoded
    t = from_dict(undelta_regs(d))
    assert to_dict(t) == to_dict(run("roundtrip", "twice"))


def test_listings_cover_every_file_the_trace_touches():
    data = payload([Scenario("roundtrip")])
    files = {s["file"] for s in data["scenarios"]["roundtrip:normal"]["trace"]["steps"]}
    assert files <= set(data["listings"])


def test_page_merge_keeps_one_copy_of_each_scenario():
    a, b = stepper_html([Scenario("mcall")], what_if=True), stepper_html([Scenario("mcall", "on_g0")], what_if=True)
    page = "<html><body><p>x</p>" + a + "<p>y</p>" + b + "</body></html>"
    merged = merge_page(page)
    assert merged.count("class='gsb-data'") == 0 and merged.count(f"id='{PAGE_DATA_ID}'") == 1
    assert merged.index(PAGE_DATA_ID) < merged.index("data-gsb='1'")  # data before the first stepper
    data = unpack(re.search(rf"id='{PAGE_DATA_ID}'>([^<]+)<", merged).group(1))
    from gosched_book.views.static_controls import spec

    whatif = {s.key for base in (Scenario("mcall"), Scenario("mcall", "on_g0")) for s in spec(base)[1]}
    assert sorted(data["scenarios"]) == sorted({f"mcall:{p}" for p in PRESETS["mcall"]} | whatif)
    assert sorted(data["controls"]) == ["mcall:normal", "mcall:on_g0"]
    # the what-if runs differ per stepper; the presets they share are stored once
    a0, b0 = stepper_html([Scenario("mcall")], what_if=False), stepper_html([Scenario("mcall", "on_g0")], what_if=False)
    both = merge([blob_of(a0), blob_of(b0)])
    assert len(pack(both)) < 0.7 * (len(pack(blob_of(a0))) + len(pack(blob_of(b0))))
    assert len(pack(data)) < len(pack(blob_of(a))) + len(pack(blob_of(b)))
    one = payload([Scenario("mcall", "on_g0")])
    sc = data["scenarios"]["mcall:on_g0"]
    for k in range(len(sc["pics"])):  # re-pooling keeps every picture
        assert ([data["panels"][i] for i in data["pictures"][sc["pics"][k]]]
                == [one["panels"][i] for i in one["pictures"][one["scenarios"]["mcall:on_g0"]["pics"][k]]])
    assert merge([one]) == one


def test_markup_has_accessible_controls_and_no_inline_data_as_html():
    html = stepper_html([Scenario("mcall")])
    for label in ("首步", "上一步", "下一步", "末步", "播放", "步骤", "选择场景"):
        assert f"aria-label='{label}'" in html
    assert "role='status'" in html and "aria-live='polite'" in html
    assert "<svg" not in html  # pictures travel as data, never as markup
    assert "class='gsb-controls'" in html  # where the what-if controls go


def test_pack_is_deterministic():
    d = payload([Scenario("abort")])
    assert pack(d) == pack(d)
