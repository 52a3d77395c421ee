from django.urls import path

from . import views

app_name = "newbusiness"

urlpatterns = [
    path("newbusiness/", views.register, name="register"),
    path("newbusiness/new/", views.intake, name="intake"),
    path("newbusiness/radar/", views.radar, name="radar"),
    path("newbusiness/withdrawals/", views.withdrawals, name="withdrawals"),
    path("newbusiness/kpis/", views.kpis, name="kpis"),
    path("newbusiness/<int:application_id>/", views.detail, name="detail"),
    path("newbusiness/<int:application_id>/act/", views.act, name="act"),
]
