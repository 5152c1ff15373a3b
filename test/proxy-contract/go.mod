module tlssidecar/proxycontract

go 1.26
