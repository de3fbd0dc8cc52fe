"""Sign-in throttling, passwords, sessions and the production response headers."""

import secrets

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.test_settings import run_python

PASSWORD = "a-long-and-unusual-passphrase-2026"


@pytest.fixture
def editor(alice):
    alice.set_password(PASSWORD)
    alice.save()
    return alice


def sign_in(client, password, address="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": "alice", "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_repeated_failures_lock_that_user_name_from_that_address(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "guess").status_code == 200  # the form again, with its error
    assert sign_in(client, "guess").status_code == 429
    locked = sign_in(client, PASSWORD)  # even the right password, until the cool-off
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session


def test_a_lock_does_not_reach_other_addresses(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess", address="10.0.0.66")
    assert sign_in(client, PASSWORD, address="10.0.0.2").status_code == 302


def test_the_lock_cools_off(client, editor, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 429
    past = settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= past
        attempt.save()
    assert sign_in(client, PASSWORD).status_code == 302


def test_weak_passwords_are_refused(alice):
    for weak in ["password", "12345678", "alice123", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak, alice)
    validate_password(PASSWORD, alice)


def test_sessions_expire(client, editor, settings):
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert sign_in(client, PASSWORD).status_code == 302
    assert client.session.get_expire_at_browser_close()
    session = client.session
    session.set_expiry(-1)  # as if the session's age had passed
    session.save()
    assert client.get("/admin/").status_code == 302


def test_pages_carry_the_protective_headers(client, seed):
    response = client.get(reverse("curation:agreement-list"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "coop.example.org",
}


def test_deploy_check_is_clean_in_production():
    result = run_python(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_serves_static_files_over_https_only_with_hsts(tmp_path):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0); "
        "c = Client(HTTP_HOST='coop.example.org'); "
        "plain = c.get('/static/curation/site.css'); "
        "secure = c.get('/static/curation/site.css', secure=True); "
        "print(plain.status_code, plain['Location']); "
        "print(secure.status_code, secure['Strict-Transport-Security'])"
    )
    result = run_python(code, **PRODUCTION, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    redirect, hsts = result.stdout.strip().splitlines()
    assert redirect == "301 https://coop.example.org/static/curation/site.css"
    assert hsts.startswith("200 max-age=31536000")


@pytest.mark.django_db
def test_demo_accounts_print_logins_that_work_at_the_served_address(settings):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import CommandError, call_command

    settings.DEBUG = True
    out = StringIO()
    call_command("demo_accounts", "--port", "8017", stdout=out)
    printed = out.getvalue()
    assert "http://127.0.0.1:8017/admin/" in printed
    for line in printed.splitlines()[1:]:
        username, _, password, *_ = line.split()
        assert get_user_model().objects.get(username=username).check_password(password)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="known passwords"):
        call_command("demo_accounts", stdout=StringIO())
