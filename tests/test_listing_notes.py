"""Each line that emits no bytes is annotated for what it is, not with one note for all."""
from gosched_book.views.listing import rows


def byteless(file: str) -> dict[str, str]:
    return {r.text.split("//")[0].strip(): r.note for r in rows(file) if r.addr is not None and not r.bytes}


def test_nop_sp_is_the_vet_hint_and_get_tls_is_the_tls_rewrite():
    notes = byteless("morestack.s")
    assert "vet" in notes["NOP     SP"] and "TLS" not in notes["NOP     SP"]
    assert "MOVQ TLS, CX" in notes["get_tls(CX)"] and "vet" not in notes["get_tls(CX)"]
