module tlssidecar/proxy

go 1.26
