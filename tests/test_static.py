"""The static stepper's payload: traces and picture models, deduplicated, merged per page."""
import json
import re

from gosched_book import PRESETS, run
from gosched_book.machine.trace import from_dict, to_dict
from gosched_book.views import picture
from gosched_book.views.model import state
from gosched_book.views.static import (PAGE_DATA_ID, merge, merge_page, pack, payload, stepper_html,
                                       undelta_regs, unpack)
from gosched_book.scenario.scenario import Scenario


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
    # the page data comes after the last stepper, just before </body>; the first stepper has a first blob
    assert merged.rindex("data-gsb='1'") < merged.index(PAGE_DATA_ID) < merged.index("</body>")
    assert merged.count("class='gsb-first-data'") == 1
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


def firsts_of(html):
    return [json.loads(t) for t in re.findall(r"<script type='application/json' class='gsb-first-data'>([^<]*)</script>", html)]


def test_the_first_stepper_draws_first_from_a_small_blob_of_its_own_scenario():
    """The first picture needs only the first stepper's first scenario; everything else waits at the
    page end (the later steppers, further down the page, start from it: no second copy)."""
    a = stepper_html([Scenario("systemstack")], what_if=True)
    b = stepper_html([Scenario("gogo", "nil_g")], what_if=False)
    merged = merge_page("<html><body><p>x</p>" + a + "<p>y</p>" + b + "<footer>f</footer></body></html>")
    firsts = firsts_of(merged)
    assert len(firsts) == 1
    # the first blob sits inside its own stepper, before the script that starts it
    at = merged.index("data-gsb-keys=\"[&quot;systemstack:normal")
    blob = merged.index("class='gsb-first-data'", at)
    assert blob < merged.index("GoschedStepper.start()", blob) < merged.index("</div><p>", at)
    assert "gsb-first-data" not in merged[merged.index("data-gsb-keys=\"[&quot;gogo:nil_g"):]
    first, key, full = firsts[0], "systemstack:normal", blob_of(a)
    assert list(first["scenarios"]) == [key]
    assert first["titles"] == {k: full["scenarios"][k]["title"] for k in keys_of(a)}
    sc, want = first["scenarios"][key], full["scenarios"][key]
    assert sc["trace"] == want["trace"] and sc["alts"] == want["alts"]
    for k in range(len(sc["pics"])):  # the same pictures, from a pool of its own
        assert ([first["panels"][i] for i in first["pictures"][sc["pics"][k]]]
                == [full["panels"][i] for i in full["pictures"][want["pics"][k]]])
    assert len(first["panels"]) == len({i for k in sc["pics"] for i in first["pictures"][k]})
    files = {s["file"] for s in sc["trace"]["steps"] if s["file"]}
    assert set(first["listings"]) == files and all(first["listings"][f] == full["listings"][f] for f in files)
    assert "controls" not in first
    assert len(json.dumps(first)) < len(json.dumps(full)) / 10
    assert first["whatif"] == 1  # its controls come with the page data
    page = unpack(re.search(rf"id='{PAGE_DATA_ID}'>([^<]+)<", merged).group(1))
    assert "systemstack:normal" in page["controls"] and "gogo:nil_g" in page["scenarios"]


def test_first_blob_is_safe_inside_a_script_element():
    """Listing text with '</script>' or '<!--' cannot end the JSON's script element early."""
    from gosched_book.views.static import first_tag

    data = {"scenarios": {}, "listings": {"x.s": [[1, "MOVQ AX, BX // </script><!-- <b>", "", ""]]}}
    tag = first_tag(data)
    inner = tag[tag.index(">") + 1:tag.rindex("</script>")]
    assert "<" not in inner and json.loads(inner) == data


def test_a_patched_first_scenario_carries_its_patched_listing():
    from gosched_book.views.static import first_data
    from gosched_book.views.static_controls import spec

    patched = next(s for s in spec(Scenario("systemstack"))[1] if s.patch)
    data = payload([patched])
    first = first_data(data, [patched.key])
    own = data["scenarios"][patched.key]["listings"]
    assert set(own.values()) <= set(first["listings"])
    assert first["scenarios"][patched.key]["listings"] == own


def test_what_if_runs_leave_the_page_in_scripts_a_change_fetches():
    """Issue 22: a page carries its steppers' own choices and the controls' spec; each stepper's
    what-if runs go to scripts of their own, about CHUNK_RAW bytes each, in the order of the
    controls' values, and the page data says which script holds which run (a script works from file://)."""
    from gosched_book.views import static
    from gosched_book.views.static_controls import spec

    a = stepper_html([Scenario("mcall")], what_if=True)
    b = stepper_html([Scenario("gogo", "nil_g")], what_if=False)
    limit = 150_000  # small enough that mcall's runs need several scripts
    old, static.CHUNK_RAW = static.CHUNK_RAW, limit
    try:
        html, scripts = merge_page("<html><body>" + a + b + "</body></html>", lambda i, c: f"../_static/r-{i}-{c}.js")
    finally:
        static.CHUNK_RAW = old
    urls = re.findall(r"data-gsb-runs='([^']*)'", html)
    assert len(urls) == 1 and urls[0].split() == list(scripts) and len(scripts) > 2
    assert all(u.startswith("../_static/r-0-") for u in scripts)
    page = unpack(re.search(rf"id='{PAGE_DATA_ID}'>([^<]+)<", html).group(1))
    own = set(keys_of(a)) | set(keys_of(b))
    assert set(page["scenarios"]) == own and list(page["controls"]) == ["mcall:normal"]
    whatif = {s.key for s in spec(Scenario("mcall"))[1]} - own
    held: dict[str, str] = {}
    for url, text in scripts.items():
        m = re.fullmatch(r'window\.GoschedStepper&&GoschedStepper\.provide\("([^"]+)","([A-Za-z0-9+/=]+)"\);\n', text)
        assert m and m.group(1) == url
        runs = unpack(m.group(2))
        assert list(runs["scenarios"]) == page["chunks"][url]
        raw = len(json.dumps(runs, ensure_ascii=False, separators=(",", ":")))
        assert raw <= limit * 1.5 or len(runs["scenarios"]) == 1  # a run is never cut in two
        for key, sc in runs["scenarios"].items():  # every picture and listing a run needs is in its script
            assert key not in held
            held[key] = url
            assert all(p < len(runs["panels"]) for i in sc["pics"] for p in runs["pictures"][i])
            want = {sc.get("listings", {}).get(s["file"], s["file"]) for s in sc["trace"]["steps"] if s["file"]}
            assert want <= set(runs["listings"])
    assert set(held) == whatif and len(whatif) > 50
    # neighbouring values of one control share a script: a slider's runs sit in few scripts, in order
    ctl = page["controls"]["mcall:normal"]["controls"]
    for c in ctl:
        where = [held[v[2]] for v in c["values"] if v[2] in held]
        assert where == sorted(where, key=list(scripts).index)
    # the page alone is far lighter than with every run in it (its own presets: gogo has seven now)
    assert len(pack(page)) * 3 < len(pack(unpack(re.search(rf"id='{PAGE_DATA_ID}'>([^<]+)<", merge_page(
        "<html><body>" + a + b + "</body></html>")).group(1))))


def test_cut_picture_labels_keep_their_whole_text():
    """No label ends in … without the whole text beside it (the page shows it on hover and tap)."""
    from gosched_book.views.model import states

    cut = 0
    for r in PRESETS:
        for p in PRESETS[r]:
            for st in states(run(r, p)):
                for panel in picture.build(st).panels:
                    for lab in panel.labels:
                        if lab.text.endswith("…"):
                            cut += 1
                            assert lab.full.startswith(lab.text[:-1]) and len(lab.full) >= len(lab.text), lab
                        else:
                            assert lab.full == ""
    assert cut > 0
    svg = picture.panel_svg(next(p for p in picture.build(states(run("mcall"))[0]).panels))
    assert 'data-part="sp"' in svg
