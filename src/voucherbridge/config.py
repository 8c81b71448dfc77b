"""Settings: one pydantic-settings class, read from VOUCHERBRIDGE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from voucherbridge.domain.backoff import worst_call_s

# Published in this repository, so it protects nothing: development and tests only.
DEV_SECRET = "dev-insecure-secret-change-me"
# `secrets.token_urlsafe(32)` gives 43 characters; 32 is well above anything guessable.
MIN_SECRET_KEY_CHARS = 32
INSECURE_SECRET_KEY = (
    "生产环境 (VOUCHERBRIDGE_ENVIRONMENT=production) 必须把 VOUCHERBRIDGE_SECRET_KEY 设为"
    f"至少 {MIN_SECRET_KEY_CHARS} 个字符的随机值,不能使用默认值;它加密平台密钥,更换后已保存的"
    "平台密钥需要重新绑定。\n"
    "VOUCHERBRIDGE_SECRET_KEY must be set to a random value of at least "
    f"{MIN_SECRET_KEY_CHARS} characters, not the published default, when "
    "VOUCHERBRIDGE_ENVIRONMENT=production; it encrypts platform secrets, so changing it later "
    "means binding the stores again.\n"
    "  e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


def is_weak_secret_key(secret_key: str) -> bool:
    """Missing, the published default, or too short to resist guessing."""
    key = secret_key.strip()
    return key == DEV_SECRET or len(key) < MIN_SECRET_KEY_CHARS


def default_database_url() -> str:
    """A SQLite file in the working directory: zero set-up for the embedded default."""
    return f"sqlite:///{Path('voucherbridge.db').resolve()}"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="VOUCHERBRIDGE_", extra="ignore")

    # VOUCHERBRIDGE_ENVIRONMENT: `production` refuses a weak secret key (see above).
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    secret_key: str = DEV_SECRET
    timezone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = None
    log_level: str = "INFO"
    log_json: bool = False
    db_pool_size: int = 10
    admin_token_ttl_hours: int = 12
    max_body_bytes: int = 256 * 1024
    # 反结账退券 windows per platform, in minutes: Douyin 1 h, Meituan 10 min [PROTOCOLS.md].
    reversal_window_douyin: int = 60
    reversal_window_meituan: int = 10
    reversal_window_weimall: int = 60
    reversal_window_direct: int = 60
    # Platform endpoints and app credentials. The defaults are the local simulators
    # (`voucherbridge simulate <platform>`), so the whole product runs on one machine.
    douyin_base_url: str = "http://127.0.0.1:18081"
    douyin_short_link_base: str | None = None  # None: the simulator's /s/ on douyin_base_url
    douyin_client_key: str = "vb-demo-key"
    # Our one Douyin app (服务商应用): each merchant authorizes it; bindings carry no secret.
    douyin_client_secret: str = "vb-demo-secret"
    meituan_base_url: str = "http://127.0.0.1:18082"
    # Where merchants authorize our app (None: the simulator's page on meituan_base_url).
    meituan_authorize_url: str | None = None
    meituan_app_key: str = "mt-demo-key"
    meituan_app_secret: str = "mt-demo-secret"
    weimall_base_url: str = "http://127.0.0.1:18084"
    # Consumer notifications (notifications/): `log` writes one line per message, `wechat`
    # sends template messages through one official account (one app for the deployment, as
    # the seed's mall account is: templates are per merchant in the console). `./vb demo`
    # points it at the WeChat simulator (`voucherbridge simulate wechat`, port 18083).
    notifier: Literal["log", "wechat"] = "log"
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_appid: str = "wx-demo-appid"
    wechat_secret: str = "wx-demo-secret"
    # 我的优惠 signs consumers in through WeChat's web-page authorization (snsapi_base) of the
    # same account: the authorize page lives on open.weixin.qq.com (the demo: the simulator).
    wechat_oauth_base_url: str = "https://open.weixin.qq.com"
    # Table-QR self-pay (selfpay/): WeChat Pay v3 JSAPI as the merchant account (商户号) of the
    # deployment, paid into by the official account above (wechat_appid). Empty mchid: self-pay
    # shows the bill but sends the guest to the counter to pay. Keys are PEM text; the demo
    # reads them from the WeChat simulator (GET /_sim/wechatpay/credentials).
    wechatpay_base_url: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_private_key: str = ""  # ours: signs our requests
    wechatpay_serial: str = ""  # our merchant certificate's serial number
    wechatpay_platform_public_key: str = ""  # WeChat Pay's: checks its answers and notifies
    wechatpay_platform_serial: str = ""
    # The SSE stream of the cashier page: a comment line this often keeps proxies from closing
    # it; without LISTEN/NOTIFY (SQLite) the payments table is read this often.
    live_heartbeat_s: float = 15.0
    live_poll_s: float = 1.0
    # PostgreSQL: NOTIFY wakes the stream at once; the table is read this often anyway, in case
    # the listener's connection was down when a payment came in.
    live_fallback_poll_s: float = 5.0
    # A stream ends after this long (EventSource reconnects by itself): a stopping API process
    # is not kept waiting long by cashier pages left open.
    live_stream_max_s: float = 300.0
    # How often the worker looks for codes ending within three days (their reminder).
    notify_expiring_every_s: float = 600.0
    platform_timeout_s: float = 5.0
    platform_retry_wait_s: float = 0.5
    platform_max_attempts: int = 3
    # Outbox rows a worker claims at once; their lease is derived from the platform budget.
    outbox_batch: int = 10
    # Inbound callbacks older or newer than this are refused as replays.
    callback_tolerance_s: int = 300
    # Code guessing: unknown codes per sliding minute before the till (or store) gets 429.
    guess_limit_per_minute: int = 20
    guess_limit_per_store_per_minute: int = 60
    # Password guessing: failed sign-ins of one account in the window before it is locked.
    sign_in_max_failures: int = 10
    sign_in_window_s: int = 900
    # Alerts: this many reversals by one till inside the window is worth a look.
    alert_reversals_threshold: int = 5
    alert_reversals_window_hours: int = 24
    # Running it (ops/): /readyz says 503 above this many outbox rows still to deliver; a
    # stopping API process gives in-flight requests this long to finish.
    ready_outbox_backlog_limit: int = 10_000
    # GET /metrics asks for `Authorization: Bearer <this>` when set (empty: open, for a
    # private network only; production without it is reported by `voucherbridge doctor`).
    metrics_token: str = ""
    shutdown_grace_s: int = 30

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        # Every entry point builds its settings here, so no production process (API, worker,
        # migrate, a uvicorn worker process) can run on a key anyone can read.
        if self.environment == "production" and is_weak_secret_key(self.secret_key):
            raise ValueError(INSECURE_SECRET_KEY)
        return self

    @property
    def outbox_lease_s(self) -> float:
        """How long a worker holds the rows it claimed: a whole batch against a platform that
        times out on every try, plus a minute. Shorter, and a second worker could take rows the
        first is still delivering; a killed worker's rows wait this long at most."""
        per_row = worst_call_s(
            self.platform_max_attempts, self.platform_timeout_s, self.platform_retry_wait_s
        )
        return max(1, self.outbox_batch) * per_row + 60

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def reversal_windows(self) -> dict[str, int]:
        """Default reversal window per platform, overridable per listing."""
        return {
            "douyin": self.reversal_window_douyin,
            "meituan": self.reversal_window_meituan,
            "weimall": self.reversal_window_weimall,
            "direct": self.reversal_window_direct,
        }
