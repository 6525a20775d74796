"""Settings checked up front (pipeline/core/config.py and the CLI root callback): a bad value stops
every command with exit 2 and one line naming the variable; development keys are warned about
on stderr and refused by `optout serve` beyond loopback."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.cli.serve import is_loopback
from pipeline.core.config import DEV_HASH_KEY, MAX_LOGO_BYTES, SettingsError, development_keys, load_settings

pytestmark = pytest.mark.unit

REAL = {
    "OPTOUT_HASH_KEY": "a-real-hash-key",
    "OPTOUT_TOKEN_KEYS": "k1:a-real-token-key",
}

BAD = [
    ("OPTOUT_CALL_CENTER_TZ", "Mars/Olympus_Mons", "not an IANA time zone"),
    ("OPTOUT_CALL_CENTER_TZ", "../../etc/passwd", "not an IANA time zone"),
    ("OPTOUT_CALL_CENTER_TZ", "", "not an IANA time zone"),
    ("OPTOUT_TOKEN_KEYS", "k1:one,k1:two", "key id 'k1' is listed twice"),
    ("OPTOUT_TOKEN_KEYS", "k1:", "empty secret"),
    ("OPTOUT_TOKEN_KEYS", "k1:   ", "empty secret"),
    ("OPTOUT_TOKEN_KEYS", "just-a-secret", "entry 1 is not kid:secret"),
    ("OPTOUT_TOKEN_KEYS", "k1:one,,k0:zero", "entry 2 is not kid:secret"),
    ("OPTOUT_TOKEN_KEYS", "", "entry 1 is not kid:secret"),
    ("OPTOUT_TOKEN_KEYS", ":secret", "entry 1 is not kid:secret"),
    ("OPTOUT_DATABASE_URL", "not a url", "not a database URL"),
    ("OPTOUT_DATABASE_URL", "", "not a database URL"),
    ("OPTOUT_DATABASE_URL", "postgress://user@host/db", "unknown database dialect or driver 'postgress'"),
    ("OPTOUT_DATABASE_URL", "postgresql+psycopgg://user@host/db", "unknown database dialect or driver"),
    ("OPTOUT_UNSUBSCRIBE_MAILBOXES", "unsubscribe@progiga.example,not-an-address", "'not-an-address' is not a valid address"),
    ("OPTOUT_UNSUBSCRIBE_MAILBOXES", "unsubscribe@progiga.example,", "entry 2 is empty"),
    ("OPTOUT_PHONE_REGION", "XX", "not a region"),
    ("OPTOUT_PHONE_REGION", "USA", "not a region"),
    ("OPTOUT_MAX_LIST_AGE_HOURS", "0", "not a positive number"),
    ("OPTOUT_MAX_LIST_AGE_HOURS", "-5", "not a positive number"),
    ("OPTOUT_MAX_LIST_AGE_HOURS", "inf", "not a positive number"),
    ("OPTOUT_MAX_LIST_AGE_HOURS", "nan", "not a positive number"),
    ("OPTOUT_MAX_LIST_AGE_HOURS", "36h", "not a number of hours"),
    ("OPTOUT_SEGMENT_SECONDS", "0", "not a positive number of seconds"),
    ("OPTOUT_SEGMENT_SECONDS", "1e9", "more than 86,400 seconds"),
    ("OPTOUT_SEGMENT_SECONDS", "5s", "not a number of seconds"),
    ("OPTOUT_SEGMENT_LINES", "2.5", "not a whole number of lines"),
    ("OPTOUT_SEGMENT_LINES", "-1", "not a positive number of lines"),
    ("OPTOUT_SEGMENT_LINES", "99999999999", "more than 10,000,000 lines"),
    ("OPTOUT_API_KEYS", "key-one,,key-two", "entry 2 is empty"),
    ("OPTOUT_API_KEYS", "key-one, ", "entry 2 is empty"),
    ("OPTOUT_API_KEYS", "crm:", "entry 1 ('crm') has an empty key"),
    ("OPTOUT_API_KEYS", "crm:a,crm:b", "the name 'crm' is given to two keys"),
    ("OPTOUT_API_KEYS", "c r m:a", "a key name is letters"),
    ("OPTOUT_CONSOLE_KEY", " ", "empty"),
    ("OPTOUT_CONSOLE_URL", "javascript:alert(1)", "not an http:// or https:// URL"),
    ("OPTOUT_PRIVACY_URL", "https://example.com/\"><script>", "not an http:// or https:// URL"),
    ("OPTOUT_BRAND_COLOUR", "red", "not a colour as #rrggbb"),
    ("OPTOUT_BRAND_COLOUR", "#12345g", "not a colour as #rrggbb"),
    ("OPTOUT_BRAND_LOGO", "/etc/passwd", "not a .png"),
    ("OPTOUT_BRAND_LOGO", "/nonexistent/logo.png", "not a readable file"),
    ("OPTOUT_POSTMARK_CREDENTIALS", "justauser", "expected user:password"),
    ("OPTOUT_POSTMARK_CREDENTIALS", ":pw", "expected user:password"),
    ("OPTOUT_AIRFLOW_API_URL", "airflow:8080", "is not an http:// or https:// URL"),
    ("OPTOUT_AIRFLOW_CREDENTIALS", "admin", "expected user:password"),
    ("OPTOUT_SES_CERTIFICATE", "/nonexistent/sns.pem", "not a readable file"),
    ("OPTOUT_MAILCHIMP_SECRET", "short", "16 to 128"),
    ("OPTOUT_SENDGRID_PUBLIC_KEY", "not base64!", "not a public key"),
    ("OPTOUT_SENDGRID_PUBLIC_KEY", "QUJD", "not a public key"),
    ("OPTOUT_SES_TOPIC_ARNS", "arn:aws:sns:eu-west-1:123:t", "not an SNS topic ARN"),
    ("OPTOUT_SES_TOPIC_ARNS", "https://evil.example/", "not an SNS topic ARN"),
    ("OPTOUT_MAILCHIMP_SECRET", "a/../../b-long-enough-secret", "16 to 128"),
    ("OPTOUT_ESP_SYNC", "sendgrid,sparkpost", "'sparkpost' is not one of"),
    ("OPTOUT_ALERT_TO", "ops@progiga.example,oncall", "'oncall' is not a valid address"),
    ("OPTOUT_ALERT_FROM", "optout at localhost", "not a valid address"),
    ("OPTOUT_HASH_KEY", "", "empty"),
    ("OPTOUT_RECEIPT_KEY", " ", "empty"),
    ("OPTOUT_EXPORT_KEY", "", "empty"),
]


@pytest.mark.parametrize(("name", "value", "says"), BAD)
def test_a_bad_setting_is_named_in_one_line(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**REAL, name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and says in message and "\n" not in message


def test_a_logo_must_be_the_file_itself_and_small(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "link.png").symlink_to(logo)
    (tmp_path / "huge.png").write_bytes(b"\x00" * (MAX_LOGO_BYTES + 1))
    assert load_settings({**REAL, "OPTOUT_BRAND_LOGO": str(logo)}).brand_logo == logo
    for path, says in ((tmp_path / "link.png", "is a symlink"), (tmp_path / "huge.png", "is over 512 KiB")):
        with pytest.raises(SettingsError, match=f"^OPTOUT_BRAND_LOGO: .*{says}"):
            load_settings({**REAL, "OPTOUT_BRAND_LOGO": str(path)})


def test_esp_verification_material_must_load(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization  # here, not at import: only this test makes keys
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # here, not at import: as above
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = ec_public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert load_settings({**REAL, "OPTOUT_SENDGRID_PUBLIC_KEY": base64.b64encode(der).decode()}).sendgrid_public_key
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    rsa_der = rsa_public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(SettingsError, match="not an elliptic-curve"):
        load_settings({**REAL, "OPTOUT_SENDGRID_PUBLIC_KEY": base64.b64encode(rsa_der).decode()})
    not_a_cert = tmp_path / "sns.pem"
    not_a_cert.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(SettingsError, match="OPTOUT_SES_CERTIFICATE: .* is not a PEM certificate"):
        load_settings({**REAL, "OPTOUT_SES_CERTIFICATE": str(not_a_cert)})
    arns = load_settings({**REAL, "OPTOUT_SES_TOPIC_ARNS": "arn:aws:sns:eu-west-1:123456789012:ses-events"}).ses_topic_arns
    assert arns == ("arn:aws:sns:eu-west-1:123456789012:ses-events",)


def test_secrets_never_appear_in_the_message() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"OPTOUT_TOKEN_KEYS": "k1:top-secret-value,k1:other-secret"})
    assert "secret-value" not in str(caught.value) and "other-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "field", "value"),
    [
        ({}, "call_center_tz", "America/New_York"),
        ({"OPTOUT_CALL_CENTER_TZ": "Europe/Paris"}, "call_center_tz", "Europe/Paris"),
        ({"OPTOUT_PHONE_REGION": "fr"}, "phone_region", "FR"),
        ({"OPTOUT_MAX_LIST_AGE_HOURS": "12.5"}, "max_list_age_hours", 12.5),
        ({"OPTOUT_API_KEYS": ""}, "api_keys", ()),
        ({"OPTOUT_API_KEYS": " a , b "}, "api_keys", (("key-1", "a"), ("key-2", "b"))),
        ({"OPTOUT_API_KEYS": "crm:K1, shop:K2"}, "api_keys", (("crm", "K1"), ("shop", "K2"))),
        ({"OPTOUT_BRAND_COLOUR": "#AABBCC"}, "brand_colour", "#aabbcc"),
        ({"OPTOUT_ESP_SYNC": "SendGrid, ses"}, "esp_sync", ("sendgrid", "ses")),
        ({"OPTOUT_POSTMARK_CREDENTIALS": "hook:p:w"}, "postmark_credentials", "hook:p:w"),
        ({}, "airflow_api_url", ""),
        ({"OPTOUT_AIRFLOW_API_URL": "http://airflow:8080"}, "airflow_api_url", "http://airflow:8080"),
        ({"OPTOUT_AIRFLOW_CREDENTIALS": "admin:s:e"}, "airflow_credentials", "admin:s:e"),
        ({"OPTOUT_CONSOLE_URL": "https://console.example.com/console/"}, "console_url", "https://console.example.com/console/"),
        ({"OPTOUT_TOKEN_KEYS": "k2:new, k1:old"}, "token_keys", (("k2", "new"), ("k1", "old"))),
        ({"OPTOUT_DATABASE_URL": "postgresql+psycopg://u@db/optout"}, "database_url", "postgresql+psycopg://u@db/optout"),
        ({"OPTOUT_ALERT_FROM": "optout@localhost"}, "alert_from", "optout@localhost"),
        ({"OPTOUT_ALERT_FROM": ""}, "alert_from", "optout@localhost"),
        ({"OPTOUT_ALERT_TO": ""}, "alert_to", ()),
        ({"OPTOUT_UNSUBSCRIBE_MAILBOXES": "unsubscribe@progiga.example"}, "unsubscribe_mailboxes", ("unsubscribe@progiga.example",)),
    ],
)
def test_good_settings_load(env: dict[str, str], field: str, value: object) -> None:
    assert getattr(load_settings({**REAL, **env}), field) == value


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, ["OPTOUT_HASH_KEY", "OPTOUT_TOKEN_KEYS", "OPTOUT_EXPORT_KEY", "OPTOUT_RECEIPT_KEY", "OPTOUT_CONSOLE_KEY"]),
        (REAL, []),
        ({**REAL, "OPTOUT_RECEIPT_KEY": DEV_HASH_KEY}, ["OPTOUT_RECEIPT_KEY"]),
        ({"OPTOUT_HASH_KEY": "real", "OPTOUT_TOKEN_KEYS": "k2:new,dev:optout-development-token-key"}, ["OPTOUT_TOKEN_KEYS"]),
    ],
)
def test_development_keys_are_named(env: dict[str, str], names: list[str]) -> None:
    assert development_keys(load_settings(env)) == names


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for name in [n for n in os.environ if n.startswith("OPTOUT_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["optout", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


COMMANDS = [["token", "mint", "a@example.com"], ["serve", "--port", "1"], ["verify"], ["run", "--date", "2026-10-10"]]


@pytest.mark.parametrize(("name", "value", "says"), BAD[::3])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_stops_on_a_bad_setting_before_any_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str], name: str, value: str, says: str
) -> None:
    code, out, err = run_cli(monkeypatch, capsys, {**REAL, name: value}, *command)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"optout: {name}: ") and says in err


def test_a_bad_db_option_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(monkeypatch, capsys, REAL, "--db", "nosuchdb://x", "verify")
    assert code == 2 and err.startswith("optout: --db: unknown database dialect")


def test_development_keys_warn_on_stderr_and_keep_json_clean(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(monkeypatch, capsys, {}, "token", "verify", "junk", "--json")
    assert code == 1 and json.loads(out) == {"valid": False, "error": "not <payload>.<signature>"}
    assert err.count("\n") == 1 and err.startswith("optout: warning: development keys in use (OPTOUT_HASH_KEY, OPTOUT_TOKEN_KEYS,")
    code, out, err = run_cli(monkeypatch, capsys, REAL, "token", "verify", "junk")
    assert (code, err) == (1, "")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "optout.example.com"])
def test_serve_beyond_loopback_refuses_development_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    code, _, err = run_cli(monkeypatch, capsys, {"OPTOUT_HASH_KEY": "real"}, "serve", "--host", host)
    assert code == 2 and f"refusing --host {host} with development keys (OPTOUT_TOKEN_KEYS)" in err.splitlines()[-1]


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
                                               ("localhost", True), ("0.0.0.0", False), ("10.0.0.1", False), ("example.com", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "token",
    ["x" * 100_000, "[" * 3000 + "." + "A" * 43, "eyJ2IjoxfQ=.AAAA", "\udcff\udcfe.x", "a.b.c", "..", "%00", "eyJ2IjpOYU59." + "A" * 43],
)
def test_token_verify_with_a_hostile_token_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    code, out, err = run_cli(monkeypatch, capsys, REAL, "token", "verify", token)
    assert (code, err) == (1, "") and out.startswith("INVALID: ") and out.count("\n") == 1 and len(out) < 200


def test_the_airflow_path_fails_fast_with_the_same_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a task, a bad setting is a failure Airflow does not retry (a retry cannot mend it)."""
    from pipeline.orchestration import tasks as orchestration

    monkeypatch.setenv("OPTOUT_CALL_CENTER_TZ", "Nowhere/Land")
    with pytest.raises(orchestration.RunFailedError, match="^OPTOUT_CALL_CENTER_TZ: 'Nowhere/Land' is not an IANA time zone") as caught:
        orchestration.load()
    assert isinstance(caught.value.__cause__, SettingsError)
    assert type(caught.value) is type(orchestration.fail_fast("x"))
