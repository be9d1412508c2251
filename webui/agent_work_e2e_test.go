package webui

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd/followup"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// customerUAS is the customer's phone behind the simulated PSTN line: it
// answers the box's call, talks for a moment and hangs up, so that the
// test knows the customer was reached (SIPp fails on anything else).
const customerUAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="customer answers and hangs up">
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller" />
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="callee" />
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 2 2 IN IP4 127.0.0.1
      s=-
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio [mport] RTP/AVP 8
      a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv request="ACK" />
  <pause milliseconds="1500" />
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$callee];tag=[pid]SIPpTag01[call_number]
      To:[$caller]
      [last_Call-ID:]
      CSeq: 2 BYE
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
`

func TestE2E_FollowUpCallRingsTheAgentsPhoneThenReachesTheCustomer(t *testing.T) {
	bin, sipp := e2eTools(t)
	dir := screenshotDir(t)
	data, err := os.MkdirTemp("", "cbf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	secret := seedCallCenter(t, data)
	st, err := store.Open(filepath.Join(data, "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	task, err := followup.New(st).Create(context.Background(), store.Followup{Agent: "802", Number: "+8613800138000",
		CustomerID: "c9", Reason: "Tea order follow-up", Due: time.Now().Add(-5 * time.Minute)})
	if cerr := st.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	// startSIPp names scenarios relative to the switch's own.
	own, err := filepath.Abs(sippScenarios)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "customer-uas.xml")
	if err := os.WriteFile(file, []byte(customerUAS), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario, err := filepath.Rel(own, file)
	if err != nil {
		t.Fatal(err)
	}

	// The customer, behind the simulated lines' far end.
	media, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	peerPort := freeUDPPort(t)
	customer := startSIPp(t, sipp, scenario, peerPort, "", "-s", "13800138000",
		"-key", "mport", strconv.Itoa(media.LocalAddr().(*net.UDPAddr).Port))
	customer.waitBound(t, peerPort)
	web, sip, _ := runBox(t, bin, data, "--sim-peer", "127.0.0.1:"+strconv.Itoa(peerPort))

	// Anna's desk phone registers and answers when the box rings it.
	deskMedia, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer deskMedia.Close()
	phonePort := freeUDPPort(t)
	startSIPp(t, sipp, "register.xml", phonePort, sip, "-s", "202", "-au", "202", "-ap", secret).check(t, "register 202")
	if t.Failed() {
		t.FailNow()
	}
	phone := startSIPp(t, sipp, "answer-uas.xml", phonePort, "", "-s", "202",
		"-key", "mport", strconv.Itoa(deskMedia.LocalAddr().(*net.UDPAddr).Port))
	phone.waitBound(t, phonePort)

	ctx := newChromium(t)
	browserLogin(t, ctx, "http://"+web, "anna", "/agent")
	step(t, ctx, "open the follow-ups", chromedp.Click(`#tab-fu`, chromedp.NodeVisible))
	waitJS(t, ctx, "the task", `document.querySelector('#fu-list [data-fu="`+task.ID+`"]') !== null`)
	step(t, ctx, "next", chromedp.Click(`#fu-list [data-fu-next]`, chromedp.NodeVisible))
	waitJS(t, ctx, "the customer", jsEq("#fu-detail .caller-name", "Chen Jing"))
	step(t, ctx, "call", chromedp.Click(`#fu-detail [data-fu-call]`, chromedp.NodeVisible))
	waitJS(t, ctx, "dialling", jsEq("#fu-detail .fu-state", i18n.T(i18n.EN, "followup.state.dialing")))

	// The customer answered and hung up; the box released Anna's phone.
	customer.check(t, "the customer")
	phone.check(t, "Anna's desk 202")
	if t.Failed() {
		t.FailNow()
	}
	step(t, ctx, "reached",
		chromedp.SendKeys(`#fu-detail input[name="note"]`, "Ordered two boxes", chromedp.NodeVisible),
		chromedp.Click(`#fu-detail form[data-fu-outcome] button[type="submit"]`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "done", jsEq("#fu-detail .fu-state", i18n.T(i18n.EN, "followup.state.done")))
	waitJS(t, ctx, "outcome in the history", `[...document.querySelectorAll("#fu-detail table.history td:last-child")].some(td => td.textContent.includes("Ordered two boxes"))`)
	shot(t, ctx, dir, "e2e-followup-reached-en")
	if got := text(t, ctx, "#fu-detail .fu-facts"); !strings.Contains(got, "Attempts: 1") {
		t.Errorf("task facts %q", got)
	}
}
