module icount

go 1.26
