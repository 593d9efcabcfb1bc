"""Drive the live views as a reader would, and check what they display."""
import re
import subprocess
import sys


from gosched_book.views.stepper import show


def test_import_does_not_pull_in_plotting_or_widgets():
    code = ("import sys; import gosched_book; "
            "print(any(m.split('.')[0] in ('matplotlib','ipywidgets') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_next_highlights_the_executed_line_and_changed_registers():
    s = show("mcall")
    s.static = False
    assert s.k == 0 and "尚未执行" in s.status.value
    for _ in range(3):
        s.next.click()
    assert s.k == 3
    step = s.trace.steps[2]
    assert step.plan9 in s.status.value.replace("&#x27;", "'")
    done = re.search(r"<tr class='done[^']*' data-part='current-line'><td class='ln'>(\d+)</td>", s.listing.value)
    assert done and int(done.group(1)) == step.line
    assert "g.sched.pc" in s.writes.value
    s.next.click()  # LEAQ fn+0(FP), BX changes rbx
    changed = re.findall(r"<tr class='changed' data-part='changed-reg'><td>(\w+)</td>", s.registers.value)
    assert changed == list(s.trace.steps[3].changed) == ["rbx"]
    assert "→" in s.registers.value
    s.prev.click()
    assert s.k == 3 and re.findall(r"<tr class='changed' data-part='changed-reg'><td>(\w+)</td>", s.registers.value) == []


def test_last_shows_the_end_message():
    s = show("mcall", "on_g0")
    s.last.click()
    assert s.k == len(s.trace.steps)
    assert "badmcall" in s.end.value and "gsb-end event" in s.end.value
    s.first.click()
    assert s.k == 0 and s.end.value == ""


def test_fault_end_is_red_and_no_traceback():
    s = show("gogo", "nil_g")
    s.last.click()
    assert "gsb-end fault" in s.end.value and "0x0" in s.end.value
    assert "Traceback" not in s.message.value


def test_listing_follows_the_trace_across_routines():
    s = show("roundtrip")
    files = set()
    for k in range(len(s.trace.steps) + 1):
        s.go(k)
        m = re.search(r"<div class='mono'[^>]*>([\w.]+)", s.listing.value)
        files.add(m.group(1))
    assert {"mcall.s", "world.s", "gogo.s", "gogo_body.s"} <= files


def test_scenario_dropdown_reruns_and_resets():
    s = show("mcall")
    s.go(5)
    s.choose.value = ("systemstack", "bad")
    assert s.trace.routine == "systemstack" and s.k == 0
    assert s.current.value == "g2"
    s.last.click()
    assert "badsystemstack" in s.end.value


def test_sliders_rerun_the_machine():
    s = show("mcall")
    s.current.value = "g0"
    assert s.trace.end.detail == "badmcall"
    s.current.value = "g"
    assert s.trace.end.kind == "call"
    s.entry_sp.value = -0x20  # above the stack top: unmapped
    s.last.click()
    assert s.trace.end.kind == "fault" and "gsb-end fault" in s.end.value
    assert "未映射" in s.entry_sp_note.value and s.message.value == ""
    s.entry_sp.value = 0x100
    assert s.trace.initial_regs["rsp"] == 0xC000042000 - 0x100
    g0 = s.g0_sp.value
    s.g0_sp.value = g0 + 0x40
    s.last.click()
    assert s.trace.regs_at(len(s.trace.steps))["rsp"] == 0x7FFFF7F04000 - (g0 + 0x40) - 16


def test_ctxt_and_nil_toggles():
    s = show("systemstack")
    s.widgets["sched_ctxt"].value = 1
    assert s.trace.end.detail == "abort"
    s.choose.value = ("gogo", "normal")
    s.nil_g.value = True
    assert s.trace.end.kind == "fault"


def test_play_is_linked_to_the_slider():
    s = show("mcall")
    s.play.value = 4
    assert s.k == 4 and "第 4 / " in s.status.value


def test_before_after_view():
    from gosched_book.views.compare import before_after

    w = before_after("systemstack")
    html = w.value
    assert html.count('class="gsb-picture"') == 2 and "入口" in html and "结束" in html


def test_flags_row_shows_what_cmpq_decided():
    s = show("mcall", "on_g0")
    cmp_step = next(st.i for st in s.trace.steps if st.plan9.startswith("CMPQ"))
    s.go(cmp_step)
    assert re.search(r"<tr class='changed' data-part='changed-reg'><td>flags</td><td colspan='2'>ZF=1",
                     s.registers.value)
    assert s.registers.value.count("data-part='changed-reg'") == 1  # only the flags changed
    s.choose.value = ("mcall", "normal")
    s.go(cmp_step)
    assert "ZF=0" in s.registers.value


def test_a_preset_without_the_g0_slider_builds_its_stepper():
    # asmcgocall:no_g's world has no g0.sched.sp to move: building its stepper raised KeyError.
    s = show("asmcgocall", "no_g")
    assert s.g0_sp is None and s.trace.end.kind == "return"
    s.choose.value = ("asmcgocall", "normal")
    assert s.g0_sp is not None and s.trace.scenario == "normal"


def test_current_line_is_the_instruction_inside_a_macro():
    """Issue 22: PUSH_REGS_HOST_TO_ABI0 expands to eight rows of one source line; the current line is
    the row of the instruction just executed, not all eight (they would not fit the listing's box)."""
    s = show("sigtramp", "normal")
    k = next(st.i for st in s.trace.steps if st.plan9.startswith("MOVQ") and st.routine == "runtime·sigtramp")
    s.go(k)
    step = s.trace.steps[k - 1]
    same_line = re.findall(rf"<tr class='[^']*'[^>]*><td class='ln'>{step.line}</td>", s.listing.value)
    current = re.findall(r"<tr [^>]*data-part='current-line'>.*?</tr>", s.listing.value)
    assert len(same_line) > 1 and len(current) == 1
    assert step.bytes.hex(" ") in current[0]


def test_the_lab_listing_window_keeps_the_current_row_near_its_top():
    """The Lab listing shows a window of rows (a widget cannot scroll itself): at every step of every
    preset it holds the current instruction's row, with at most WINDOW_BEFORE screen lines above it,
    counting wrapped rows and each row of a macro's expansion (sigtramp's PUSH_REGS_HOST_TO_ABI0 is
    eight rows of one line: a window by line numbers put the current one below a laptop's screen)."""
    import re as _re

    from gosched_book import PRESETS, run
    from gosched_book.views import html as H
    from gosched_book.views.listing import rows as listing_rows
    from gosched_book.views.model import states

    for routine, presets in PRESETS.items():
        for preset in presets:
            t = run(routine, preset)
            for k, st in enumerate(states(t)):
                if not st.file:
                    continue
                out = H.listing(st)
                body = out[out.index("<table>"):]
                trs = _re.findall(r"<tr [^>]*>", body)
                cur = [i for i, tr in enumerate(trs) if "data-part='current-line'" in tr]
                assert len(cur) == 1, (routine, preset, k)
                lines = [int(n) for n in _re.findall(r"<td class='ln'>(?:<span[^<]*</span>)?(\d+)</td>", body)]
                rs = listing_rows(st.file)
                start = next(i for i in range(len(rs)) if [r.line for r in rs[i:i + len(lines)]] == lines)
                above = sum(H.screen_lines(r) for r in rs[start:start + cur[0]])
                assert above <= H.WINDOW_BEFORE, (routine, preset, k, above)
