from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pathways.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from pathways.audit.security import on_login, on_login_failed, on_logout

        user_logged_in.connect(on_login, dispatch_uid="pathways.audit.login")
        user_logged_out.connect(on_logout, dispatch_uid="pathways.audit.logout")
        user_login_failed.connect(on_login_failed, dispatch_uid="pathways.audit.login_failed")
