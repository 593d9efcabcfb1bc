// asm_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：原文没有讲 morestack；这里的中文注释都是本书自己加的，英文注释是 Go 源码原有的。

// Called during function prolog when more stack is needed.
//
// The traceback routines see morestack on a g0 as being
// the top of a stack (for example, morestack calling newstack
// calling the scheduler calling newm calling gc), so we must
// record an argument size. For that purpose, it has no arguments.
TEXT runtime·morestack(SB), NOSPLIT, $0-0
    // Cannot grow scheduler stack (m->g0).
    get_tls(CX)                                 // 本书注：不产生指令，g(CX) 就是 FS:-8
    MOVQ    g(CX), BX                           // 本书注：BX = g（从 TLS 读，不用 R14）
    MOVQ    g_m(BX), BX                         // 本书注：BX = g.m
    MOVQ    m_g0(BX), SI                        // 本书注：SI = m.g0
    CMPQ    g(CX), SI                           // 本书注：g == g0？g0 的栈不能增长
    JNE     3(PC)
    CALL    runtime·badmorestackg0(SB)
    CALL    runtime·abort(SB)

    // Cannot grow signal stack (m->gsignal).
    MOVQ    m_gsignal(BX), SI                   // 本书注：SI = m.gsignal
    CMPQ    g(CX), SI                           // 本书注：gsignal 的栈也不能增长
    JNE     3(PC)
    CALL    runtime·badmorestackgsignal(SB)
    CALL    runtime·abort(SB)

    // Called from f.
    // Set m->morebuf to f's caller.
    NOP     SP                                  // tell vet SP changed - stop checking offsets
    MOVQ    8(SP), AX                           // f's caller's PC
    MOVQ    AX, (m_morebuf+gobuf_pc)(BX)        // 本书注：m.morebuf.pc = f 的调用者的 PC
    LEAQ    16(SP), AX                          // f's caller's SP
    MOVQ    AX, (m_morebuf+gobuf_sp)(BX)        // 本书注：m.morebuf.sp = f 的调用者的 SP
    get_tls(CX)
    MOVQ    g(CX), SI                           // 本书注：SI = g
    MOVQ    SI, (m_morebuf+gobuf_g)(BX)         // 本书注：m.morebuf.g = g

    // Set g->sched to context in f.
    MOVQ    0(SP), AX                           // f's PC
    MOVQ    AX, (g_sched+gobuf_pc)(SI)          // 本书注：g.sched.pc = f 序言里 CALL 之后的地址
    LEAQ    8(SP), AX                           // f's SP
    MOVQ    AX, (g_sched+gobuf_sp)(SI)          // 本书注：g.sched.sp = f 的 SP
    MOVQ    BP, (g_sched+gobuf_bp)(SI)          // 本书注：g.sched.bp = BP
    MOVQ    DX, (g_sched+gobuf_ctxt)(SI)        // 本书注：g.sched.ctxt = DX（闭包上下文，或 0）

    // Call newstack on m->g0's stack.
    MOVQ    m_g0(BX), BX                        // 本书注：BX = g0
    MOVQ    BX, g(CX)                           // 本书注：TLS 里的 g = g0（R14 没有改）
    MOVQ    (g_sched+gobuf_sp)(BX), SP          // 本书注：换到 g0 栈：SP = g0.sched.sp
    CALL    runtime·newstack(SB)                // 本书注：经 ABI0 包装进入 Go 函数 newstack
    CALL    runtime·abort(SB)                   // crash if newstack returns
    RET
