from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views
from .models import API_KEY_PREFIX_PATTERN

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginCodeView.as_view(), name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path(
        "two-factor/recovery-codes/",
        views.RecoveryCodesView.as_view(),
        name="two-factor-recovery-codes",
    ),
    path("two-factor/remove/", views.TwoFactorRemoveView.as_view(), name="two-factor-remove"),
    path("settings/", views.PersonalSettingsView.as_view(), name="settings"),
    path("lockouts/", views.LockoutListView.as_view(), name="lockouts"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-keys"),
    re_path(
        rf"^api-keys/(?P<prefix>{API_KEY_PREFIX_PATTERN})/revoke/$",
        views.ApiKeyRevokeView.as_view(),
        name="api-key-revoke",
    ),
]
