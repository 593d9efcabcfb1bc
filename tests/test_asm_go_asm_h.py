"""go_asm.h constants: computed from the book's layouts and Go 1.19's field lists, held against
the header the Go compiler wrote for the runtime (recorded by scripts/toolchain/dump_runtime_asm.py)."""
import pytest

from gosched_book.asm.go_asm import go_asm_constants, size_align
from gosched_book.asm.toolchain import recorded
from gosched_book.runtime.layout import go_asm_symbols

TOOLCHAIN = recorded()["go_asm_h"]


@pytest.mark.parametrize("name", sorted(TOOLCHAIN))
def test_constant_is_the_toolchains(name):
    assert go_asm_constants()[name] == TOOLCHAIN[name]


def test_the_books_layouts_agree_with_the_header_where_both_define_a_constant():
    shared = set(go_asm_symbols()) & set(TOOLCHAIN)
    assert {"g_sched", "m_curg", "gobuf_pc", "m_tls"} <= shared
    assert all(go_asm_symbols()[k] == TOOLCHAIN[k] for k in shared)


def test_every_constant_the_runtime_files_use_is_known():
    """The recorded header was cut to the names the three .s files use: all of them are here."""
    assert len(TOOLCHAIN) > 30 and set(TOOLCHAIN) <= set(go_asm_constants())


def test_struct_sizes_follow_go_alignment():
    assert size_align("sysmontick") == (32, 8)  # uint32, int64, uint32, int64
    assert size_align("gcWork") == (40, 8)  # 33 bytes of fields, padded to 8
    assert size_align((3, "uint32")) == (12, 4)
