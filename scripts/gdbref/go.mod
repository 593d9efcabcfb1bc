module gosched-book/gdbref

go 1.18
