package main

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

// writeBoth returns what writeRequest and (*http.Request).Write produce.
func writeBoth(t testing.TB, req *http.Request) (fast, std string, fastErr, stdErr error) {
	var a, b bytes.Buffer
	wa, wb := bufio.NewWriter(&a), bufio.NewWriter(&b)
	fastErr = writeRequest(wa, req)
	stdErr = req.Write(wb)
	_ = wa.Flush()
	_ = wb.Flush()
	return a.String(), b.String(), fastErr, stdErr
}

func TestWriteRequestMatchesRequestWrite(t *testing.T) {
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name   string
		method string
		url    string
		host   string
		header http.Header
		close  bool
	}{
		{"proxied GET", "GET", "http://127.0.0.1:8080/a/b?x=1&y=%20", "example.com",
			http.Header{"User-Agent": {""}, "X-Forwarded-For": {"10.0.0.1, 127.0.0.1"}, "X-Forwarded-Host": {"example.com"},
				"X-Forwarded-Proto": {"https"}, "Accept": {"*/*"}, "Cookie": {"a=1", "b=2"}}, false},
		{"no User-Agent key: default", "GET", "http://app/", "app", http.Header{"Accept": {"text/html"}}, false},
		{"User-Agent kept, trimmed", "GET", "http://app/", "app", http.Header{"User-Agent": {"  curl/8 \t", "second"}}, false},
		{"empty User-Agent slice", "GET", "http://app/", "app", http.Header{"User-Agent": {}}, false},
		{"newlines become spaces", "GET", "http://app/", "app", http.Header{"X-A": {"a\r\nb\nc\rd", " \r\n x \n"}}, false},
		{"excluded keys", "GET", "http://app/", "app", http.Header{"Host": {"evil"}, "Content-Length": {"5"},
			"Transfer-Encoding": {"chunked"}, "Trailer": {"X"}, "X-Ok": {"1"}}, false},
		{"empty values", "GET", "http://app/", "app", http.Header{"X-Empty": {}, "X-Blank": {""}}, false},
		{"HEAD", "HEAD", "http://app/x", "app:8080", http.Header{"Accept": {"*/*"}}, false},
		{"host from URL", "GET", "http://app:8080/x", "", http.Header{}, false},
		{"IPv6 host", "GET", "http://[::1]:8080/", "[::1]:8080", http.Header{}, false},
		{"IPv6 zone (fallback)", "GET", "http://app/", "[fe80::1%25eth0]:8080", http.Header{}, false},
		{"non-ASCII host (fallback)", "GET", "http://app/", "bücher.example", http.Header{}, false},
		{"invalid Host (fallback)", "GET", "http://app/", "a b", http.Header{}, false},
		{"invalid field name (fallback)", "GET", "http://app/", "app", http.Header{"Bad Name": {"x"}, "X-Ok": {"1"}}, false},
		{"Connection: close (fallback)", "GET", "http://app/", "app", http.Header{}, true},
		{"POST (fallback)", "POST", "http://app/", "app", http.Header{}, false},
		{"DELETE (fallback)", "DELETE", "http://app/", "app", http.Header{}, false},
		{"opaque URL", "GET", "http://app/%2Fa%2Fb", "app", http.Header{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &http.Request{Method: tc.method, URL: u(tc.url), Host: tc.host, Header: tc.header, Close: tc.close,
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
			fast, std, fastErr, stdErr := writeBoth(t, req)
			if (fastErr == nil) != (stdErr == nil) || fast != std {
				t.Fatalf("writeRequest:\n%q (err %v)\nRequest.Write:\n%q (err %v)", fast, fastErr, std, stdErr)
			}
		})
	}
	var many = http.Header{}
	for i := 0; i < maxFastHeaders+5; i++ {
		many.Set("X-H"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	req := &http.Request{Method: "GET", URL: u("http://app/"), Host: "app", Header: many}
	if fast, std, _, _ := writeBoth(t, req); fast != std {
		t.Fatalf("many headers: %q != %q", fast, std)
	}
}

func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/a?b=c", "example.com:443", "X-Forwarded-For", "1.2.3.4", "User-Agent", " ua ")
	f.Add("HEAD", "/", "[::1]", "Accept", "a\r\nb", "x", "")
	f.Fuzz(func(t *testing.T, method, uri, host, k1, v1, k2, v2 string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return
		}
		u.Scheme, u.Host = "http", "127.0.0.1:8080"
		h := http.Header{}
		h[k1] = append(h[k1], v1)
		h[k2] = append(h[k2], v2)
		req := &http.Request{Method: method, URL: u, Host: host, Header: h}
		fast, std, fastErr, stdErr := writeBoth(t, req)
		if (fastErr == nil) != (stdErr == nil) || fast != std {
			t.Fatalf("writeRequest:\n%q (err %v)\nRequest.Write:\n%q (err %v)", fast, fastErr, std, stdErr)
		}
	})
}
