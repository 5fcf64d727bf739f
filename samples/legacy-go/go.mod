module example.com/legacy-go

go 1.21
