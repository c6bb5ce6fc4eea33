from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with our site: a second factor for staff when ADMIN_REQUIRE_2FA is on, and the
    enrolment page /admin/2fa/ (crm.two_factor)."""

    default_site = "crm.two_factor.AdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # Not in the admin: django-otp's lists show and edit the secret keys of every user's app. Each person
        # enrols and manages their own at /admin/2fa/; `manage.py reset_2fa <username>` removes someone's.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
