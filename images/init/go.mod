module tlssidecar/init

go 1.26
