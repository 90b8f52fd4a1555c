package manage_test

// The harness of the console's browser tests: one headless Chromium for the
// package's tests, a tab in a fresh browser context (its own storage and
// cookies) for each test, and helpers that read the page and wait for it.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
	"github.com/triggergen/triggergen/runtime/manage"
	"github.com/triggergen/triggergen/runtime/triggerhttp"
)

// chromiumEnv names a Chromium (or Chrome) binary to use instead of the one
// found on the PATH.
const chromiumEnv = "TRIGGERGEN_CHROMIUM"

// shared is the browser the tests share, started by the first test that
// needs it and stopped by TestMain.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	skip   string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// chromiumPath returns the browser to start, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts the shared headless Chromium, offline-quiet: no sandbox
// (tests may run as root), no GPU, and none of the background traffic
// (component updates, sync, QUIC probes) a closed network would refuse.
func startBrowser() {
	path := chromiumPath()
	if path == "" {
		shared.skip = "no Chromium to drive: install Debian's chromium package (.ci/run does: apt-get install chromium) or set " + chromiumEnv
		return
	}
	dir, err := os.MkdirTemp("", "triggergen-chromium-")
	if err != nil {
		shared.err = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-pings", true),
		chromedp.WindowSize(1360, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	shared.cancel = func() {
		_ = chromedp.Cancel(bctx)
		bcancel()
		acancel()
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		shared.err = fmt.Errorf("start %s: %w", path, err)
		return
	}
	shared.ctx = bctx
}

// tab is one browser tab of a test.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions, console errors, CSP violations
}

// newTab opens a tab in a new browser context, or skips the test when no
// browser is installed. When the test ends, it fails the test if the page
// threw, logged an error or broke its Content-Security-Policy.
func newTab(t *testing.T) *tab {
	t.Helper()
	shared.once.Do(startBrowser)
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	require.NoError(t, shared.err)
	tb := &tab{t: t}
	ctx, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	tb.ctx = ctx
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser: %s", p)
		}
	})
	require.NoError(t, chromedp.Do(ctx), "open a tab")
	return tb
}

func (tb *tab) listen(ev any) {
	var p string
	switch e := ev.(type) {
	case *cdpruntime.EventExceptionThrown:
		p = "uncaught exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			p += " " + e.ExceptionDetails.Exception.Description
		}
	case *cdpruntime.EventConsoleAPICalled:
		if e.Type == cdpruntime.ConsoleAPICalledTypeError || e.Type == cdpruntime.ConsoleAPICalledTypeAssert {
			p = "console." + string(e.Type) + " called"
		}
	case *cdplog.EventEntryAdded:
		// Network errors (a refused token's 401) are expected; anything the
		// security layer (CSP) or the script reports is not.
		if e.Entry.Source != cdplog.EntrySourceNetwork && (e.Entry.Level == cdplog.EntryLevelError ||
			e.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy")) {
			p = fmt.Sprintf("%s %s: %s (%s)", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL)
		}
	}
	if p != "" {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// do runs the actions with a time limit.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, actions...))
}

// open navigates to url and waits for the page's script to run.
func (tb *tab) open(url string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(url))
	tb.wait(`document.readyState === "complete"`, "the page loads")
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(tb.t, err, "evaluate %s", expr)
	return v
}

// wait waits until the JavaScript expression is truthy; the console
// refreshes every two seconds, so the limit is a generous 15s.
func (tb *tab) wait(expr, what string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		page, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		tb.t.Fatalf("waiting until %s (%s): %v\npage text:\n%s", what, expr, err, page)
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// textOf is a JavaScript expression for the trimmed text of the first
// element sel matches, or null.
func textOf(sel string) string {
	return `(document.querySelector(` + js(sel) + `)?.textContent ?? "").trim()`
}

// text returns the trimmed text of the first element sel matches ("" when
// none does).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, textOf(sel))
}

// waitText waits until the text of the first element sel matches is want.
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	tb.wait(textOf(sel)+` === `+js(want), fmt.Sprintf("%s reads %q", sel, want))
}

// visible is a JavaScript expression that is true when sel matches an
// element that takes up space on the page.
func visible(sel string) string {
	return `(() => { const n = document.querySelector(` + js(sel) + `); return !!n && n.getClientRects().length > 0; })()`
}

// count is a JavaScript expression for how many elements sel matches.
func count(sel string) string {
	return `document.querySelectorAll(` + js(sel) + `).length`
}

// click clicks the element sel matches with the mouse, as a person would.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.wait(visible(sel), sel+" is visible")
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto types s into the input sel matches.
func (tb *tab) typeInto(sel, s string) {
	tb.t.Helper()
	tb.wait(visible(sel), sel+" is visible")
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.SendKeys(chromedp.CSS(sel), s, chromedp.NodeVisible))
}

// signIn enters the token on the sign-in form.
func (tb *tab) signIn(token string) {
	tb.t.Helper()
	tb.wait(visible("#token"), "the sign-in form is shown")
	tb.clear("#token")
	tb.typeInto("#token", token)
	tb.click("#login-submit")
}

// allowDownloads saves the tab's downloads into dir under their own names.
func (tb *tab) allowDownloads(dir string) {
	tb.t.Helper()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	_, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: id, DownloadPath: dir})
	require.NoError(tb.t, err)
}

// consoleServer serves the API of eng, with opts (Token defaults to
// testToken unless Insecure is set), behind triggerhttp.RequestMiddleware with
// the X-User actor, on a local HTTP server. It returns the console's URL.
func consoleServer(t *testing.T, eng *runtime.Engine, opts manage.Options) string {
	t.Helper()
	if opts.Token == "" && !opts.Insecure {
		opts.Token = testToken
	}
	mux := http.NewServeMux()
	mux.Handle(manage.Prefix, triggerhttp.RequestMiddleware(headerActor)(manage.New(eng, opts)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + manage.ConsolePath
}

// reload reloads the page.
func (tb *tab) reload() {
	tb.t.Helper()
	tb.do(chromedp.Reload())
	tb.wait(`document.readyState === "complete"`, "the page loads again")
}

// clear empties the input sel matches, as selecting its text and deleting
// it would.
func (tb *tab) clear(sel string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, `(n => { n.value = ""; n.dispatchEvent(new Event("input", {bubbles: true})); })(document.querySelector(`+js(sel)+`))`)
}

// choose selects the option with the value in the select sel matches, as
// picking it from the list would.
func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	tb.wait(`[...document.querySelector(`+js(sel)+`).options].some(o => o.value === `+js(value)+`)`, sel+" offers "+value)
	eval[chromedp.Void](tb, `(n => { n.value = `+js(value)+`; n.dispatchEvent(new Event("change", {bubbles: true})); })(document.querySelector(`+js(sel)+`))`)
}

// upload puts the file into the file input sel matches.
func (tb *tab) upload(sel, path string) {
	tb.t.Helper()
	tb.do(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}
