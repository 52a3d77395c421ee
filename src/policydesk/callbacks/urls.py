from django.urls import URLPattern

app_name = "callbacks"

urlpatterns: list[URLPattern] = []
