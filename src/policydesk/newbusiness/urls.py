from django.urls import URLPattern

app_name = "newbusiness"

urlpatterns: list[URLPattern] = []
