// Package proxycontract is a black-box contract suite for the TLS sidecar
// proxy: its tests start a built proxy binary as a subprocess (PROXY_BIN, or
// images/proxy built by TestMain) on 127.0.0.1 with a throwaway CA, and assert
// only what a client, an operator or the kubelet can observe. The same suite
// must pass on every implementation of the proxy. See README.md.
package proxycontract
