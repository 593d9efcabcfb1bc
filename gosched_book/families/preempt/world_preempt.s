// 本书自建的“世界”代码：不是运行时的源码。被打断的循环和 asyncPreempt2 都是本书的替身。

// 本书的替身：像录制里的 main.spin，一个不调用任何函数的循环：循环里没有函数调用，
// 也就没有序言里的栈检查，同步抢占够不着它。
TEXT main·spin(SB), NOSPLIT, $0
loop:
    ADDQ    $1, AX
    JMP     loop

// 本书的替身：调用 main·spin 的代码，只提供 CALL 之后的返回地址。
TEXT main·spincaller(SB), NOSPLIT, $0
    CALL    main·spin(SB)
    RET

// asyncPreempt2 的 ABI0 包装（与 world_go.s 里的包装一样：X15 = 0，R14 = TLS 里的 g）。
TEXT ·asyncPreempt2(SB), NOSPLIT, $0
    XORPS   X15, X15
    MOVQ    g(CX), R14
    JMP     ·asyncPreempt2.abiinternal(SB)

// 本书的替身：asyncPreempt2（preempt.go:301-311），照 Go 1.19.8 编出的指令逐条抄写（objdump；
// 它是 nosplit 函数，没有栈检查）。g 的字段按偏移写：0xb2 是 preemptStop，0xb4 是 asyncSafePoint。
TEXT ·asyncPreempt2.abiinternal(SB), NOSPLIT, $0
    SUBQ    $0x18, SP
    MOVQ    BP, 0x10(SP)
    LEAQ    0x10(SP), BP
    MOVQ    R14, 8(SP)                  // gp := getg()
    MOVB    $1, 0xb4(R14)               // gp.asyncSafePoint = true
    CMPB    0xb2(R14), $0               // gp.preemptStop ？
    JEQ     sched
    MOVQ    $runtime·preemptPark·f(SB), AX
    CALL    runtime·mcall(SB)           // mcall(preemptPark)
    JMP     done
sched:
    MOVQ    $runtime·gopreempt_m·f(SB), AX
    CALL    runtime·mcall(SB)           // mcall(gopreempt_m)：goroutine 被重新调度后从这里回来
done:
    MOVQ    8(SP), AX
    MOVB    $0, 0xb4(AX)                // gp.asyncSafePoint = false
    MOVQ    0x10(SP), BP
    ADDQ    $0x18, SP
    RET
