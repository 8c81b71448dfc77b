/*
 * The cashier page's live alert of online payments (table-QR self-pay, issue #17).
 *
 * An EventSource on /cashier/live brings each payment a guest made on the phone for a bill of
 * this store ("event: payment"), and says when such a bill was closed ("event: cleared"). The
 * alert flashes and sounds (the page's own tone); F6, or Enter / a click on an alert, settles
 * that bill with what it holds (its vouchers and the WeChat payment) through cashier.js.
 * The browser reconnects by itself; every (re)connect sends the payments still waiting.
 */
(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = JSON.parse($("live-texts").textContent);
  const alerts = new Map(); // payment id -> alert, oldest first

  function say(template, params) {
    return template.replace(/\{(\w+)\}/g, (_, k) => (k in params ? params[k] : ""));
  }

  function render() {
    const box = $("online-alerts");
    const list = $("online-alert-list");
    const items = Array.from(alerts.values());
    box.hidden = items.length === 0;
    list.replaceChildren(
      ...items.map((alert, index) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "online-alert";
        b.dataset.order = String(alert.order_id);
        b.dataset.payment = String(alert.id);
        b.appendChild(
          document.createTextNode(say(TEXT.alert, { amount: alert.amount_yuan, table: alert.table }) + " ")
        );
        const hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = TEXT.settle;
        b.appendChild(hint);
        if (index === 0) {
          const key = document.createElement("kbd");
          key.textContent = "F6";
          b.appendChild(key);
        }
        b.addEventListener("click", () => settle(alert));
        return b;
      })
    );
    document.documentElement.dataset.onlineAlerts = String(items.length);
  }

  function flash() {
    const box = $("online-alerts");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation for a second payment
    box.classList.add("flash");
    if (window.VBCashier) window.VBCashier.beep(true);
    const root = document.documentElement.dataset;
    root.onlineFlashes = String(Number(root.onlineFlashes || 0) + 1);
  }

  async function settle(alert) {
    if (!window.VBCashier) return;
    const done = await window.VBCashier.settle(alert.order_id);
    if (done) {
      alerts.delete(alert.id);
      render();
    }
  }

  function connect() {
    const source = new EventSource("/cashier/live");
    source.addEventListener("open", () => {
      document.documentElement.dataset.live = "open";
    });
    source.addEventListener("error", () => {
      document.documentElement.dataset.live = "retrying";
    });
    source.addEventListener("payment", (event) => {
      const alert = JSON.parse(event.data);
      if (alerts.has(alert.id)) return;
      alerts.set(alert.id, alert);
      render();
      flash();
      if (window.VBCashier) window.VBCashier.refresh(alert.order_id);
    });
    source.addEventListener("cleared", (event) => {
      const alert = JSON.parse(event.data);
      if (!alerts.delete(alert.id)) return;
      render();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "F6" || event.isComposing || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    const first = alerts.values().next();
    if (!first.done) settle(first.value);
  });
  render();
  connect();
})();
