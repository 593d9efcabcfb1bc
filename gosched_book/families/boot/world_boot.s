// 本书自建的“世界”代码：不是运行时的源码。rt0_go 调用的 Go 函数（check、args、osinit、
// schedinit、newproc）的 ABI0 包装，以及这些函数本体的替身。
// 包装的样子照抄 Go 1.19.8 编出来的（gdb 记录 rt0_go.normal 里的字节，CALL/JMP 的位移除外）；
// 函数本体是本书的替身：它们什么都不做就返回，真实的运行时在这里做了大量初始化（gdb 记录里这些段被跳过）。

// 没有参数的函数：包装只有三条指令，X15 = 0、R14 = TLS 里的 g，然后跳进本体。
TEXT runtime·check(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14                  // rt0_go 刚把 TLS g 设成 g0：R14 第一次等于 g0
    JMP     runtime·check.abiinternal(SB)

TEXT runtime·osinit(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·osinit.abiinternal(SB)

TEXT runtime·schedinit(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     runtime·schedinit.abiinternal(SB)

// args(c int32, v **byte)：包装开一个帧，把栈上的两个参数搬进 AX、BX，再 CALL 本体。
TEXT runtime·args(SB), NOSPLIT, $0
    SUBQ    $0x18, SP
    MOVQ    BP, 0x10(SP)
    LEAQ    0x10(SP), BP
    MOVL    0x20(SP), AX                // c = argc
    MOVQ    0x28(SP), BX                // v = argv
    XORPS   X15, X15
    MOVQ    g(CX), R14
    CALL    runtime·args.abiinternal(SB)
    MOVQ    0x10(SP), BP
    ADDQ    $0x18, SP
    RET

// newproc(fn *funcval)：参数 fn 在栈上（rt0_go 压进去的 $runtime·mainPC），搬进 AX。
TEXT runtime·newproc(SB), NOSPLIT, $0
    SUBQ    $0x10, SP
    MOVQ    BP, 0x8(SP)
    LEAQ    0x8(SP), BP
    MOVQ    0x18(SP), AX                // fn = &runtime·mainPC
    XORPS   X15, X15
    MOVQ    g(CX), R14
    CALL    runtime·newproc.abiinternal(SB)
    MOVQ    0x8(SP), BP
    ADDQ    $0x10, SP
    RET

// 本书的替身：check（runtime1.go:142 起）检查类型大小、原子操作等是否符合预期。
TEXT runtime·check.abiinternal(SB), NOSPLIT, $0
    RET

// 本书的替身：args（runtime1.go:66 起）记下 argc、argv，并读取 auxv。
TEXT runtime·args.abiinternal(SB), NOSPLIT, $0
    RET

// 本书的替身：osinit（os_linux.go:329 起）读 CPU 数和大页大小。
TEXT runtime·osinit.abiinternal(SB), NOSPLIT, $0
    RET

// 本书的替身：schedinit（proc.go:658 起）初始化调度器、m0（含 gsignal）、内存分配器、P……
TEXT runtime·schedinit.abiinternal(SB), NOSPLIT, $0
    RET

// 本书的替身：newproc（proc.go:4094 起）在 systemstack 上用 newproc1 造出 main goroutine，放进运行队列
// （那次 systemstack 和 gogo:newg 的第一次运行，见第 6 章）。
TEXT runtime·newproc.abiinternal(SB), NOSPLIT, $0
    RET

// 下面几个只在 rt0_go 不会走到的分支里被引用（cgo 的 _cgo_init、GOAMD64 的 bad_cpu、调试器入口）：
// 本书的替身，执行到就停。
TEXT runtime·main(SB), NOSPLIT, $0
    INT     $3                          // 本书的替身：runtime.main（main goroutine 的函数）

TEXT setg_gcc<>(SB), NOSPLIT, $0
    INT     $3

TEXT runtime·write(SB), NOSPLIT, $0
    INT     $3

TEXT runtime·exit(SB), NOSPLIT, $0
    INT     $3

TEXT runtime·debugCallV2(SB), NOSPLIT, $0
    INT     $3
