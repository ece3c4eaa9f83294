from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That username and password do not match an active account.",
        "inactive": "This account is switched off. Ask your program administrator.",
    }
