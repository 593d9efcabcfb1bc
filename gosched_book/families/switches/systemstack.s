// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

// func systemstack(fn func())
TEXT runtime·systemstack(SB), NOSPLIT, $0-8

    // 参数。
    MOVQ    fn+0(FP), DI        // DI = fn

    // 当前 G、M。
    get_tls(CX)
    MOVQ    g(CX), AX           // AX = g
    MOVQ    g_m(AX), BX         // BX = m

    CMPQ    AX, m_gsignal(BX)
    JEQ     noswitch

    // 获取 M.g0。
    MOVQ    m_g0(BX), DX        // DX = g0
    CMPQ    AX, DX
    JEQ     noswitch

    CMPQ    AX, m_curg(BX)
    JNE     bad

    // 保存当前 g 状态（g.sched）。
    CALL    gosave_systemstack_switch<>(SB)

    // 切换到 g0 栈。
    MOVQ    DX, g(CX)
    MOVQ    DX, R14 // set the g register
    MOVQ    (g_sched+gobuf_sp)(DX), BX
    MOVQ    BX, SP

    // 调用目标函数。
    MOVQ    DI, DX
    MOVQ    0(DI), DI
    CALL    DI

    // 切换回 g。
    get_tls(CX)
    MOVQ    g(CX), AX
    MOVQ    g_m(AX), BX       // M
    MOVQ    m_curg(BX), AX    // M.curg !!!
    MOVQ    AX, g(CX)
    MOVQ    (g_sched+gobuf_sp)(AX), SP
    MOVQ    $0, (g_sched+gobuf_sp)(AX)
    RET

noswitch:
    // already on m stack; tail call the function
    // Using a tail call here cleans up tracebacks since we won't stop
    // at an intermediate systemstack.
    MOVQ    DI, DX
    MOVQ    0(DI), DI
    JMP     DI

bad:
    // Bad: g is not gsignal, not g0, not curg. What is it?
    MOVQ    $runtime·badsystemstack(SB), AX
    CALL    AX
    INT     $3
