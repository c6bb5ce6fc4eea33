"""Two-factor authentication for staff (django-otp): a code from an authenticator app (TOTP), or a recovery code.

With `ADMIN_REQUIRE_2FA` on (the default when DJANGO_DEBUG is off) the admin site lets in only staff verified by a
second factor in this session. A member of staff who has none yet signs in with their password and is sent to the
enrolment page, `/admin/2fa/`, the one admin page open to them: it shows a QR code (and the otpauth:// address as
text, for apps that take it typed), asks for the code the app shows, and then gives ten single-use recovery codes.
Once enrolled, the login page asks for the code as well as the password.

A lost phone: sign in with a recovery code, and on /admin/2fa/ start again with a new app. Lost both: an
administrator runs `python manage.py reset_2fa <username>`, and the person enrols again at their next login.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from functools import wraps

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
PENDING_KEY = "two_factor_pending_key"  # the secret being enrolled, in the session until it is confirmed


def has_second_factor(user) -> bool:
    return django_otp.user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    """Verified by a second factor in this session (django_otp's OTPMiddleware installs user.is_verified)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def verify(user, code: str):
    """The user's device that accepts `code`, or None: six digits are tried as an app's code, anything else as a
    recovery code (which then is used up). Each device throttles failed tries (django-otp)."""
    code = "".join((code or "").split()).lower()
    if not code:
        return None
    model = TOTPDevice if code.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


class LoginForm(AdminAuthenticationForm):
    """The admin login: username, password, and the code once the user has a second factor."""

    otp_token = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=16,
        help_text=_(
            "The six digits your authenticator app shows, or one of your recovery codes. Leave it empty if you "
            "have not set up two-factor authentication yet."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and has_second_factor(user):
            device = verify(user, cleaned.get("otp_token", ""))
            if device is None:
                raise ValidationError(
                    _("Enter the code your authenticator app shows now, or one of your recovery codes."),
                    code="otp_invalid",
                )
            user.otp_device = device  # django_otp keeps it in the session when the login completes
        return cleaned


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label=_("The code your app shows"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def otpauth_uri(user, key_hex: str) -> str:
    """The address an authenticator app reads from the QR code (issuer settings.OTP_TOTP_ISSUER)."""
    return TOTPDevice(user=user, key=key_hex).config_url


def manual_secret(key_hex: str) -> str:
    """The secret as the apps take it typed: base32, in groups of four."""
    text = b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=4)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def _enrol(request, user, key_hex: str, code: str):
    """Confirms the app's first code; then the app's device and fresh recovery codes are stored."""
    totp = TOTP(bytes.fromhex(key_hex))
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        return None, []
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=str(_("Authenticator app")), key=key_hex, confirmed=True, last_t=totp.t(), drift=totp.drift
        )
        codes = _new_recovery_codes(user)
    django_otp.login(request, device)
    return device, codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=str(_("Recovery codes")), confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_view(site, request):
    """/admin/2fa/: enrol (QR code, confirm a code, get recovery codes), or, enrolled and verified, make new
    recovery codes or start again with a new app. Only the signed-in user's own devices are ever touched."""
    user = request.user
    context = {**site.each_context(request), "title": _("Two-factor authentication")}
    enrolled = has_second_factor(user)
    if enrolled:
        verified = is_verified(user)
        action = request.POST.get("action") if request.method == "POST" else None
        if verified and action == "recovery-codes":
            context["codes"] = _new_recovery_codes(user)
        elif verified and action == "start-again":
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            return redirect(reverse("admin:two-factor", current_app=site.name))
        recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
        context.update(
            enrolled=True,
            verified=verified,
            recovery_left=recovery.token_set.count() if recovery else 0,
        )
        return TemplateResponse(request, "admin/two_factor.html", context)

    key_hex = request.session.get(PENDING_KEY)
    if not key_hex:
        key_hex = request.session[PENDING_KEY] = secrets.token_hex(20)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        device, codes = _enrol(request, user, key_hex, "".join(form.cleaned_data["otp_token"].split()))
        if device is not None:
            del request.session[PENDING_KEY]
            context.update(enrolled=True, verified=True, codes=codes, just_enrolled=True)
            return TemplateResponse(request, "admin/two_factor.html", context)
        form.add_error("otp_token", _("That is not the code the app shows now. Try the next one."))
    uri = otpauth_uri(user, key_hex)
    context.update(
        form=form,
        uri=uri,
        secret=manual_secret(key_hex),
        qr=mark_safe(qr_svg(uri)),  # noqa: S308 - an SVG we generate ourselves from our own URI
        next=request.GET.get("next", ""),
    )
    return TemplateResponse(request, "admin/two_factor.html", context)


class AdminSite(admin.AdminSite):
    """The admin site, with a second factor required when settings.ADMIN_REQUIRE_2FA is on."""

    login_form = LoginForm
    login_template = "admin/login_2fa.html"

    def has_permission(self, request):
        return super().has_permission(request) and (not settings.ADMIN_REQUIRE_2FA or is_verified(request.user))

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_active
            and user.is_staff
            and not self.has_permission(request)
            and not has_second_factor(user)
        ):
            return redirect(reverse("admin:two-factor", current_app=self.name))
        return super().login(request, extra_context)

    def staff_view(self, view):
        """For a signed-in, active member of staff, whether or not verified by a second factor yet."""

        @wraps(view)
        def inner(request, *args, **kwargs):
            if not (request.user.is_active and request.user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=self.name))
            return view(self, request, *args, **kwargs)

        return sensitive_post_parameters("otp_token")(csrf_protect(never_cache(inner)))

    def get_urls(self):
        return [path("2fa/", self.staff_view(two_factor_view), name="two-factor"), *super().get_urls()]
