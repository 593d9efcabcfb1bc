// 本书自建的“世界”代码：不是运行时的源码。被信号打断的代码和 sigtrampgo 都是本书的替身。

// 本书的替身：一个正在运行的 goroutine 函数，几条普通指令，信号在其中某一条之前到达。
TEXT main·busy(SB), NOSPLIT, $0
    MOVQ    $1, AX
    ADDQ    $2, AX
    MOVQ    AX, BX
    ADDQ    BX, AX
    RET

// 本书的替身：g0 上正在运行的运行时代码（例如调度循环），信号在其中某一条之前到达。
TEXT main·g0busy(SB), NOSPLIT, $0
    MOVQ    $1, AX
    ADDQ    $2, AX
    MOVQ    AX, BX
    ADDQ    BX, AX
    RET

// 本书的替身：sigtrampgo（signal_unix.go:431-484）。真实的 sigtrampgo 先 setg(g.m.gsignal)，
// 调用 sighandler 处理信号，最后 setg(g) 换回原来的 g。替身只保留这两次 setg，不模拟 sighandler。
// ABIInternal：AX = sig，BX = info，CX = ctx，R14 = 当前 g（sigtramp 刚从 TLS 装载）。
TEXT ·sigtrampgo(SB), NOSPLIT, $0
    SUBQ    $0x10, SP                   // 本书的替身：一个小帧
    MOVQ    BP, 8(SP)
    LEAQ    8(SP), BP
    MOVQ    R14, 0(SP)                  // g（被打断的 g 或 g0）
    MOVQ    g_m(R14), DX
    MOVQ    m_gsignal(DX), DX           // DX = g.m.gsignal
    MOVQ    DX, g(CX)                   // setg(gsignal)：TLS g = gsignal（g(CX) 就是 FS:-8，与 CX 无关）
    MOVQ    DX, R14
    // 这里真实的 sigtrampgo 调用 sighandler(sig, info, ctx, g)。替身只模拟其中一件事：
    // SIGURG（sigPreempt）时 doSigPreempt 的 ctxt.pushCall(asyncPreempt, 被打断的 PC)
    // （signal_unix.go:651-653、341-349，signal_amd64.go:80-87）；不模拟 wantAsyncPreempt、isAsyncSafePoint 的判断。
    CMPL    AX, $23                     // sig == SIGURG ？
    JNE     handled
    MOVQ    0xa0(CX), DX                // DX = ucontext 里保存的 rsp（uc_mcontext.rsp）
    SUBQ    $8, DX                      // sp -= 8
    MOVQ    0xa8(CX), SI                // SI = 保存的 rip：被打断的 PC
    MOVQ    SI, 0(DX)                   // *(*uintptr)(sp) = resumePC：写在 g 的栈上
    MOVQ    DX, 0xa0(CX)                // c.set_rsp(sp)
    MOVQ    $·asyncPreempt(SB), SI
    MOVQ    SI, 0xa8(CX)                // c.set_rip(asyncPreempt)
handled:
    MOVQ    0(SP), DX
    MOVQ    DX, g(CX)                   // setg(g)：换回被打断的 g
    MOVQ    DX, R14
    MOVQ    8(SP), BP
    ADDQ    $0x10, SP
    RET

// 本书的替身：调用它们的代码，只提供 CALL 之后的返回地址。
TEXT main·busycaller(SB), NOSPLIT, $0
    CALL    main·busy(SB)
    RET

TEXT main·g0busycaller(SB), NOSPLIT, $0
    CALL    main·g0busy(SB)
    RET
