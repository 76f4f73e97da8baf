"""`manage.py run_sandbox --port 0`, for benchmarks: the same command and threaded server, with one difference:
the Rapyd emulator's rate limit (Rapyd's own 200 requests a minute per access key) is lifted, since a benchmark
sends far more than that on purpose and would otherwise measure 429 answers."""

from __future__ import annotations


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from providers.sandbox import rapyd

    rapyd.RATE_LIMIT_PER_MINUTE = rapyd.RATE_LIMIT_PER_5_MINUTES = 10**9
    call_command("run_sandbox", port=0)


if __name__ == "__main__":
    main()
