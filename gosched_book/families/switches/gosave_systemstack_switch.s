// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

// Save state of caller into g->sched,
// but using fake PC from systemstack_switch.
// Must only be called from functions with no locals ($0)
// or else unwinding from systemstack_switch is incorrect.
// Smashes R9.
TEXT gosave_systemstack_switch<>(SB),NOSPLIT,$0
    MOVQ    $runtime·systemstack_switch(SB), R9
    MOVQ    R9, (g_sched+gobuf_pc)(R14)
    LEAQ    8(SP), R9
    MOVQ    R9, (g_sched+gobuf_sp)(R14)
    MOVQ    $0, (g_sched+gobuf_ret)(R14)
    MOVQ    BP, (g_sched+gobuf_bp)(R14)
    // Assert ctxt is zero. See func save.
    MOVQ    (g_sched+gobuf_ctxt)(R14), R9
    TESTQ   R9, R9
    JZ      2(PC)
    CALL    runtime·abort(SB)   // 原文误作 CAL
    RET
