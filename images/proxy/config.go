package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix is prepended to a flag's upper-cased name (with '-' turned into
// '_') to form the environment variable that can also set it.
const EnvPrefix = "PROXY_"

// ClientAuth is the --client-auth mode.
type ClientAuth string

// Client authentication modes.
const (
	ClientAuthNone    ClientAuth = "none"
	ClientAuthRequest ClientAuth = "request"
	ClientAuthRequire ClientAuth = "require"
)

// Config is the validated configuration of one proxy process.
type Config struct {
	Listen               string
	Upstream             *url.URL
	TLSDir               string
	AdminListen          string
	AdminTLS             bool
	ClientAuth           ClientAuth
	ShutdownTimeout      time.Duration
	DrainDelay           time.Duration
	ReadHeaderTimeout    time.Duration
	IdleTimeout          time.Duration
	MaxHeaderBytes       int
	UpstreamMaxIdleConns int
	AccessLog            bool
	LogLevel             slog.Level
	WatchInterval        time.Duration
}

// envName returns the environment variable that sets flag name.
func envName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseConfig reads flags from args and, for every flag not given on the
// command line, from the environment through lookupEnv. The returned error is
// a single line naming the flag (or variable) and what is allowed.
func ParseConfig(args []string, lookupEnv func(string) (string, bool)) (*Config, error) {
	var (
		listen      = addrValue{v: ":8443"}
		upstream    = upstreamValue{}
		adminListen = addrValue{v: ":9901"}
		clientAuth  = clientAuthValue{v: ClientAuthNone}
		logLevel    = logLevelValue{v: slog.LevelInfo}
		shutdown    = durationValue{v: 25 * time.Second}
		drain       = durationValue{v: 3 * time.Second}
		readHeader  = durationValue{v: 10 * time.Second}
		idle        = durationValue{v: 120 * time.Second}
		watch       = durationValue{v: time.Second}
		maxHeader   = sizeValue{v: 1 << 20, max: 64 << 20}
		maxIdle     = intValue{v: 512, min: 1, max: 1 << 16}
	)
	_ = upstream.Set("http://127.0.0.1:8080")

	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&listen, "listen", "TLS listen address for proxied traffic (host:port)")
	fs.Var(&upstream, "upstream", "upstream base URL (http or https)")
	tlsDir := fs.String("tls-dir", "/etc/sidecar/tls", "directory holding tls.crt, tls.key and optional ca.crt")
	fs.Var(&adminListen, "admin-listen", "admin listen address for /healthz, /readyz, /metrics")
	adminTLS := &boolValue{v: true}
	fs.Var(adminTLS, "admin-tls", "serve the admin listener over HTTPS with the same certificate")
	fs.Var(&clientAuth, "client-auth", "client certificate mode: none|request|require (verified against ca.crt)")
	fs.Var(&shutdown, "shutdown-timeout", "maximum time to drain in-flight requests on SIGTERM")
	fs.Var(&drain, "drain-delay", "time /readyz reports failure before listeners close on SIGTERM")
	fs.Var(&readHeader, "read-header-timeout", "time allowed to read request headers")
	fs.Var(&idle, "idle-timeout", "keep-alive idle timeout for client connections")
	fs.Var(&maxHeader, "max-header-bytes", "maximum size of request headers (bytes, or with KiB/MiB suffix)")
	fs.Var(&maxIdle, "upstream-max-idle-conns", "idle keep-alive connections kept to the upstream")
	accessLog := &boolValue{}
	fs.Var(accessLog, "access-log", "log one JSON line per request")
	fs.Var(&logLevel, "log-level", "log level: debug|info|warn|error")
	fs.Var(&watch, "watch-interval", "how often --tls-dir is checked for changes (0 = only on SIGHUP)")

	// Environment first, so that the command line, parsed afterwards, wins.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil {
			return
		}
		name := envName(f.Name)
		val, ok := lookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, val); err != nil {
			envErr = fmt.Errorf("invalid value %q for env %s (flag --%s): %s", val, name, f.Name, unwrapFlagErr(err))
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, &HelpError{Usage: usage(fs)}
		}
		if strings.HasPrefix(err.Error(), "flag provided but not defined") {
			return nil, fmt.Errorf("unknown flag %s; allowed: %s", strings.TrimPrefix(err.Error(), "flag provided but not defined: "), flagNames(fs))
		}
		return nil, oneLine(err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: this program takes only flags (%s)", fs.Arg(0), flagNames(fs))
	}
	if *tlsDir == "" {
		return nil, errors.New("invalid value \"\" for flag --tls-dir: a directory is required")
	}
	return &Config{
		Listen:               listen.v,
		Upstream:             upstream.v,
		TLSDir:               *tlsDir,
		AdminListen:          adminListen.v,
		AdminTLS:             adminTLS.v,
		ClientAuth:           clientAuth.v,
		ShutdownTimeout:      shutdown.v,
		DrainDelay:           drain.v,
		ReadHeaderTimeout:    readHeader.v,
		IdleTimeout:          idle.v,
		MaxHeaderBytes:       int(maxHeader.v),
		UpstreamMaxIdleConns: maxIdle.v,
		AccessLog:            accessLog.v,
		LogLevel:             logLevel.v,
		WatchInterval:        watch.v,
	}, nil
}

// HelpError is returned for -h/--help; its Usage lists every flag.
type HelpError struct{ Usage string }

func (h *HelpError) Error() string { return "help requested" }

func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("Usage: proxy [flags]\nEvery flag can also be set with the environment variable PROXY_<NAME>\n(upper case, '-' as '_'); a flag on the command line wins.\n\n")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s (env %s, default %q)\n      %s\n", f.Name, envName(f.Name), f.DefValue, f.Usage)
	})
	return b.String()
}

func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
	return strings.Join(names, " ")
}

// unwrapFlagErr drops the "invalid value ... for flag ...:" prefix that
// FlagSet.Set does not add but Parse does, keeping messages uniform.
func unwrapFlagErr(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// oneLine rewrites the flag package's "-name" spelling into "--name" and keeps
// the message on one line.
func oneLine(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	msg = strings.Replace(msg, "for flag -", "for flag --", 1)
	msg = strings.Replace(msg, "for -", "for flag --", 1) // boolean flags
	msg = strings.Replace(msg, "argument: -", "argument: --", 1)
	return errors.New(msg)
}

type boolValue struct{ v bool }

func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) String() string   { return strconv.FormatBool(b.v) }
func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return errors.New("allowed: true|false")
	}
	b.v = v
	return nil
}

type addrValue struct{ v string }

func (a *addrValue) String() string { return a.v }
func (a *addrValue) Set(s string) error {
	if err := validateAddr(s); err != nil {
		return err
	}
	a.v = s
	return nil
}

func validateAddr(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port or :port")
	}
	if strings.ContainsAny(host, " /") {
		return errors.New("want host:port or :port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number 0-65535")
	}
	return nil
}

type upstreamValue struct{ v *url.URL }

func (u *upstreamValue) String() string {
	if u.v == nil {
		return ""
	}
	return u.v.String()
}

func (u *upstreamValue) Set(s string) error {
	v, err := parseUpstream(s)
	if err != nil {
		return err
	}
	u.v = v
	return nil
}

func parseUpstream(s string) (*url.URL, error) {
	v, err := url.Parse(s)
	if err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
		return nil, errors.New("want an absolute http:// or https:// URL with a host, e.g. http://127.0.0.1:8080")
	}
	if v.User != nil || v.RawQuery != "" || v.Fragment != "" {
		return nil, errors.New("the URL must not contain user info, a query or a fragment")
	}
	if v.Port() != "" {
		if n, err := strconv.Atoi(v.Port()); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("port must be a number 1-65535")
		}
	}
	if v.Hostname() == "" {
		return nil, errors.New("want an absolute http:// or https:// URL with a host, e.g. http://127.0.0.1:8080")
	}
	return v, nil
}

type clientAuthValue struct{ v ClientAuth }

func (c *clientAuthValue) String() string { return string(c.v) }
func (c *clientAuthValue) Set(s string) error {
	switch ClientAuth(s) {
	case ClientAuthNone, ClientAuthRequest, ClientAuthRequire:
		c.v = ClientAuth(s)
		return nil
	}
	return errors.New("allowed: none|request|require")
}

type logLevelValue struct{ v slog.Level }

func (l *logLevelValue) String() string { return strings.ToLower(l.v.String()) }
func (l *logLevelValue) Set(s string) error {
	switch strings.ToLower(s) {
	case "debug":
		l.v = slog.LevelDebug
	case "info":
		l.v = slog.LevelInfo
	case "warn", "warning":
		l.v = slog.LevelWarn
	case "error":
		l.v = slog.LevelError
	default:
		return errors.New("allowed: debug|info|warn|error")
	}
	return nil
}

// durationValue is a non-negative Go duration ("0" allowed).
type durationValue struct{ v time.Duration }

func (d *durationValue) String() string { return d.v.String() }
func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	d.v = v
	return nil
}

const maxDuration = 24 * time.Hour

func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("want a duration such as 500ms, 10s or 2m")
	}
	if v < 0 || v > maxDuration {
		return 0, errors.New("must be between 0 and 24h")
	}
	return v, nil
}

type intValue struct {
	v        int
	min, max int
}

func (i *intValue) String() string { return strconv.Itoa(i.v) }
func (i *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < i.min || n > i.max {
		return fmt.Errorf("want an integer from %d to %d", i.min, i.max)
	}
	i.v = n
	return nil
}

// sizeValue is a byte count written as an integer with an optional suffix.
type sizeValue struct{ v, max int64 }

func (z *sizeValue) String() string { return strconv.FormatInt(z.v, 10) }
func (z *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	if n < 1024 || n > z.max {
		return fmt.Errorf("must be between 1KiB and %dMiB", z.max>>20)
	}
	z.v = n
	return nil
}

var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30},
	{"K", 1000}, {"M", 1000 * 1000}, {"G", 1000 * 1000 * 1000},
	{"B", 1},
}

// parseSize parses "4096", "64KiB", "1MiB", "1M" (decimal) and "1Mi" (binary).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, suf := range sizeSuffixes {
		if strings.HasSuffix(s, suf.suffix) {
			s = strings.TrimSpace(strings.TrimSuffix(s, suf.suffix))
			mult = suf.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a byte size such as 8192, 64KiB or 1MiB")
	}
	if n > (1<<62)/mult {
		return 0, errors.New("size too large")
	}
	return n * mult, nil
}
