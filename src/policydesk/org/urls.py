from django.urls import path

from . import views, views_auth

app_name = "org"

urlpatterns = [
    path("accounts/login/", views_auth.login_view, name="login"),
    path("accounts/logout/", views_auth.logout_view, name="logout"),
    path("accounts/otp/verify/", views_auth.otp_verify_view, name="otp_verify"),
    path("accounts/otp/setup/", views_auth.otp_setup_view, name="otp_setup"),
    path("org/branches/", views.branches, name="branches"),
    path("org/staff/", views.staff_list, name="staff_list"),
    path("org/staff/new/", views.staff_create, name="staff_create"),
    path("org/staff/<int:staff_id>/", views.staff_detail, name="staff_detail"),
    path("org/staff/<int:staff_id>/disable/", views.staff_disable, name="staff_disable"),
    path("org/staff/<int:staff_id>/enable/", views.staff_enable, name="staff_enable"),
    path("org/permissions/", views.permissions, name="permissions"),
    path("org/permissions/toggle/", views.permission_toggle, name="permission_toggle"),
    path("org/tokens/", views.tokens, name="tokens"),
    path("org/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
