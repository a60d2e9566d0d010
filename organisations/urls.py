from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views
from .forms import PortalAuthenticationForm
from .models import API_KEY_PREFIX_PATTERN

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=PortalAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
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
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-keys"),
    re_path(
        rf"^api-keys/(?P<prefix>{API_KEY_PREFIX_PATTERN})/revoke/$",
        views.ApiKeyRevokeView.as_view(),
        name="api-key-revoke",
    ),
]
