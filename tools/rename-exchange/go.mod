module chart-as-code/tools/rename-exchange

go 1.22
