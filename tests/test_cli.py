"""The command line: --set, --patch, --json, and the messages for bad input."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gosched_book import AsmError, ScenarioError, run
from gosched_book.__main__ import main
from gosched_book.scenario.values import MEMORY, REGISTERS
from gosched_book.scenario.family import all_params
from gosched_book.machine.trace import to_dict

ROOT = Path(__file__).parents[1]


def cli(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_set_registers_and_memory_and_patch_json_records_them(capsys):
    rc, out, err = cli(capsys, "trace", "systemstack", "--set", "r14=g0", "--set", "rax=0x0",
                       "--set", "m.curg=g", "--patch", "systemstack.s:29=", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["params"]["regs"] == {"rax": "0x0", "r14": "g0"}
    assert d["params"]["mem"] == {"m.curg": "g"}
    assert d["params"]["patch"] == ["systemstack.s:29="]
    assert d == to_dict(run("systemstack", r14="g0", rax=0, patch="systemstack.s:29=",
                            **{"m.curg": "g"}))


def test_streamed_json_is_the_trace_json(capsys):
    rc, out, _ = cli(capsys, "trace", "abort", "--scenario", "loop", "--set", "max_steps=300", "--json")
    assert rc == 0
    assert json.loads(out) == to_dict(run("abort", "loop", max_steps=300))
    assert len(out.splitlines()) > 300  # one step a line: written as it goes


@pytest.mark.parametrize("argv, says", [
    (["--set", "preset=on_g0"], "--scenario"),
    (["--set", "routine=gogo"], "--scenario"),
    (["--set", "entry_sp=0x" + "f" * 5000], "too large"),
    (["--set", "entry_sp=" + "9" * 5000], "too large"),
    (["--set", "entry_sp=0x"], "no digits"),
    (["--set", "entry_sp=0824633991936"], "leading zero"),
    (["--set", "="], "registers: rax"),
    (["--set", "nosuch=1"], "memory words: g.sched.sp"),
    (["--set", "rip=0"], "rip cannot be set"),
    (["--set", "max_steps=true"], "step count"),
    (["--set", "r14=nowhere"], "&g.sched"),
    (["--patch", "systemstack.s:29"], "FILE:LINE=TEXT"),
])
def test_bad_input_is_one_clear_message(capsys, argv, says):
    rc, out, err = cli(capsys, "trace", "mcall", *argv)
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and says in err
    assert "Traceback" not in err


def test_patch_that_does_not_assemble_shows_the_caret(capsys):
    rc, _, err = cli(capsys, "trace", "systemstack", "--patch", "systemstack.s:29=MOVQ DX, (")
    assert rc == 2 and "systemstack.s:29:" in err and "^" in err


def test_help_and_list_say_what_set_takes(capsys):
    with pytest.raises(SystemExit):
        main(["trace", "--help"])
    out = capsys.readouterr().out
    assert "r14" in out and "g.sched.pc" in out and "100000 steps" in out and "FILE:LINE+=TEXT" in out
    rc, out, _ = cli(capsys, "list")
    assert rc == 0 and "--set FIELD=VALUE takes" in out and "tls.g" in out and "entry_sp" in out
    assert "trace systemstack --patch systemstack.s:30=" in out  # the chapters' patches, runnable


def _run(args, **env):
    return subprocess.run([sys.executable, "-m", "gosched_book", *args], capture_output=True,
                          cwd=ROOT, env={**os.environ, **env}, timeout=120)


def test_ascii_terminal_does_not_crash():
    p = _run(["list"], PYTHONIOENCODING="ascii")
    assert p.returncode == 0 and b"Traceback" not in p.stderr
    assert b"mcall" in p.stdout
    p = _run(["trace", "mcall", "--json"], PYTHONIOENCODING="ascii")
    assert p.returncode == 0
    assert json.loads(p.stdout)["end"]["kind"] == "call"


def test_closed_pipe_exits_quietly():
    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys; from gosched_book.__main__ import main; "
                             "sys.exit(main(['trace', 'abort', '--scenario', 'loop', '--set', "
                             "'max_steps=2000']))"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert b"BrokenPipe" not in err and b"Traceback" not in err


def test_show_outside_jupyter_says_so_in_one_line():
    code = "from gosched_book import show; r = show('mcall'); print(repr(r))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout.strip() == b"None"
    lines = p.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "Jupyter" in lines[0] and "trace" in lines[0]


# Any value, through the CLI and the API ---------------------------------------------------

FIELDS = st.sampled_from([*all_params(), "max_steps", *REGISTERS, *MEMORY, "patch", "preset", "zz", "", "RAX"])
ANY = st.one_of(st.text(max_size=30), st.integers(), st.integers(-2**70, 2**70), st.booleans(),
                st.none(), st.lists(st.integers(), max_size=3), st.floats(allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(FIELDS, st.text(max_size=40))
def test_cli_set_any_text_gives_a_trace_or_one_message(name, text):
    try:
        rc = main(["trace", "mcall", "--set", f"{name}={text}"])
    except SystemExit as e:  # argparse itself (e.g. a value that starts like an option)
        assert e.code == 2
        return
    assert rc in (0, 2)


@settings(max_examples=300, deadline=None)
@given(FIELDS, ANY)
def test_api_any_value_raises_only_our_errors_naming_what_is_valid(name, value):
    try:
        t = run("gogo", **{name: value})
    except ScenarioError as e:
        msg = str(e)
        assert any(w in msg for w in ("must", "unknown", "valid", "known", "expected", "use",
                                      "cannot", "too large", "leading zero", "needs", "no listing",
                                      "patch")), msg
        return
    except AsmError as e:
        assert e.line >= 1
        return
    assert t.end.kind in {"call", "jump", "return", "event", "fault", "limit"}


def test_big_json_memory_stays_proportional_to_the_trace():
    # VmHWM is this process's own peak (ru_maxrss would carry over the forking pytest worker's).
    code = ("import sys; from gosched_book.__main__ import main; "
            "sys.stdout = open('/dev/null', 'w'); "
            "main(['trace', 'abort', '--scenario', 'loop', '--set', 'max_steps=30000', '--json']); "
            "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0].split()[1]; "
            "sys.stderr.write('\\nmaxrss=%s\\n' % hwm)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    err = p.stderr.decode()
    assert p.returncode == 0 and "maxrss=" in err, err[-2000:]
    kb = int(err.rsplit("maxrss=", 1)[1].split()[0])
    # ~1 KB per step of trace plus the interpreter; json.dumps of the whole dict took ~10 KB per step.
    assert kb < 120_000, f"{kb} KB for 30000 steps"
