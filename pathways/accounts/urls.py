from django.contrib.auth import views as auth_views
from django.urls import path

from pathways.accounts import views
from pathways.accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # two-step sign-in (MFA); everything under mfa/ is open to a password-only session
    # (pathways.accounts.middleware.MFA_PATH_PREFIX)
    path("mfa/", views.mfa_verify, name="mfa_verify"),
    path("mfa/key/", views.mfa_verify_key_view, name="mfa_verify_key"),
    path("mfa/webauthn/options/", views.mfa_webauthn_options, name="mfa_webauthn_options"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/setup/app/", views.mfa_setup_totp, name="mfa_setup_totp"),
    path("mfa/setup/key/", views.mfa_setup_key, name="mfa_setup_key"),
    path("mfa/devices/", views.mfa_devices_view, name="mfa_devices"),
    path(
        "mfa/devices/<str:kind>/<int:device_id>/remove/",
        views.mfa_device_remove_view,
        name="mfa_device_remove",
    ),
    # administrators and coordinators issue the one-time code for a user's first device
    path("enrolment-codes/", views.enrolment_codes, name="enrolment_codes"),
    path(
        "enrolment-codes/<uuid:user_id>/",
        views.enrolment_code_issue_view,
        name="enrolment_code_issue",
    ),
]
