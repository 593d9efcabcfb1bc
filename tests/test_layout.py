"""Offsets computed from field lists must equal the go_asm.h values (FACTS.md)."""
from gosched_book.runtime.layout import go_asm_symbols, offsetof, sizeof

# The table in FACTS.md, checked against the Go toolchain.
FACTS = {
    "g_stack": 0, "g_stackguard0": 16, "g_stackguard1": 24, "g__panic": 32, "g__defer": 40,
    "g_m": 0x30, "g_sched": 0x38, "gobuf_sp": 0, "gobuf_pc": 8, "gobuf_g": 16, "gobuf_ctxt": 24,
    "gobuf_ret": 32, "gobuf_lr": 40, "gobuf_bp": 48, "m_g0": 0, "m_morebuf": 8, "m_divmod": 64,
    "m_procid": 72, "m_gsignal": 0x50, "m_goSigStack": 88, "m_sigmask": 128, "m_tls": 0x88,
    "m_mstartfn": 184, "m_curg": 0xC0,
}


def test_go_asm_symbols_match_facts():
    syms = go_asm_symbols()
    for name, value in FACTS.items():
        assert syms[name] == value, name


def test_gobuf_is_56_bytes_and_morebuf_ends_at_64():
    assert sizeof("gobuf") == 56
    assert offsetof("m", "morebuf") + sizeof("gobuf") == 64


def test_unknown_field_names_the_struct():
    try:
        offsetof("g", "nope")
    except KeyError as e:
        assert "g has no field 'nope'" in str(e)
    else:
        raise AssertionError("expected KeyError")
