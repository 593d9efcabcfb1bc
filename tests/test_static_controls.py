"""The static stepper's controls: every value names a real run that the page carries."""
import pytest

from gosched_book import api, parse_key
from gosched_book.whatif.controls import controls
from gosched_book.scenario.scenario import Scenario
from gosched_book.views.static import merge, stepper_html, unpack, DATA_SCRIPT
from gosched_book.views.static_controls import spec


@pytest.mark.parametrize("routine,preset", [("systemstack", "normal"), ("gogo", "nil_g")])
def test_every_control_value_is_a_run_the_page_carries(routine, preset):
    base = Scenario(routine, preset)
    html = stepper_html([base], what_if=True)
    data = merge([unpack(b) for b in DATA_SCRIPT.findall(html)])
    ctl = data["controls"][base.key]
    assert ctl["base"] == base.key
    names = [c["name"] for c in ctl["controls"]]
    assert names == [c.name for c in controls(routine, preset)]  # no control written twice
    for c, control in zip(ctl["controls"], controls(routine, preset)):
        assert c["values"][c["base"]][2] == base.key
        for label, meaning, key in c["values"]:
            assert key in data["scenarios"], key
            s = parse_key(key)
            if key != base.key:  # one control moved from the base, nothing else
                moved = control.value(s)
                assert control.apply(base, moved) == s
            t = api.run(s)
            assert data["scenarios"][key]["trace"]["end"]["kind"] == t.end.kind
        if c["raw"]:
            assert "JupyterLab" in (ctl["live_only"]["edit"] if c["kind"] == "patch" else ctl["live_only"]["raw"])


def test_patched_scenario_carries_its_patched_listing():
    base = Scenario("systemstack")
    d, runs = spec(base)
    patched = next(s for s in runs if s.patch)
    from gosched_book.views.static import payload

    data = payload([patched])
    item = data["scenarios"][patched.key]
    file = patched.patch[0].file
    lk = item["listings"][file]
    rows = data["listings"][lk]
    marked = [r for r in rows if len(r) > 4 and r[4]]
    assert len(marked) == 1 and marked[0][0] == patched.patch[0].line


def test_slider_values_are_in_address_order_with_the_base_in_place():
    d, _ = spec(Scenario("mcall"))
    c = next(c for c in d["controls"] if c["name"] == "entry_sp")
    nums = [int(v[0], 16) for v in c["values"]]
    assert nums == sorted(nums)
    assert c["values"][c["base"]][1].startswith("本场景的值")


def test_what_if_runs_are_made_only_for_the_site(monkeypatch):
    from gosched_book.views.static import SITE_ENV

    monkeypatch.delenv(SITE_ENV, raising=False)
    plain = merge([unpack(b) for b in DATA_SCRIPT.findall(stepper_html([Scenario("gogo", "nil_g")]))])
    from gosched_book import PRESETS

    assert "controls" not in plain and len(plain["scenarios"]) == len(PRESETS["gogo"])
    monkeypatch.setenv(SITE_ENV, "1")
    site = merge([unpack(b) for b in DATA_SCRIPT.findall(stepper_html([Scenario("gogo", "nil_g")]))])
    assert "gogo:nil_g" in site["controls"] and len(site["scenarios"]) > len(plain["scenarios"])


def test_a_site_kernel_shows_the_static_stepper_alone(monkeypatch):
    from gosched_book.views.static import SITE_ENV
    from gosched_book.views.stepper import Stepper, show

    monkeypatch.setenv(SITE_ENV, "1")
    shown = show("gogo", "nil_g")
    assert not isinstance(shown, Stepper)  # no widgets: the site would drop their state
    bundle = shown._repr_mimebundle_()
    assert bundle["text/html"] == stepper_html([Scenario("gogo", "nil_g")])
    assert "gogo" in bundle["text/plain"]
    monkeypatch.delenv(SITE_ENV)
    assert isinstance(show("gogo", "nil_g"), Stepper)
