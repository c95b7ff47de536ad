"""Admin → Sales as a browser posts it: subscription frequencies and subscriptions."""
from __future__ import annotations

WEEKLY_FRIDAY = {"kind": "weekly", "interval": "2", "weekdays": ["4"], "day_mode": "date",
                 "month_day": "", "ordinal": "1", "weekday": "0", "month": "1",
                 "start_date": "2026-01-02", "end_kind": "never", "count": "", "until": ""}
LAST_FRIDAY_6 = {"kind": "monthly", "interval": "2", "day_mode": "weekday", "ordinal": "-1",
                 "weekday": "4", "month": "1", "month_day": "", "start_date": "2026-01-01",
                 "end_kind": "count", "count": "6", "until": ""}


def post_frequency(client, data, **extra):
    return client.post("/admin/sales/frequencies/new", data={**data, **extra})


def post_subscription(client, frequency_id, customers, end_dates=(), start_dates=(), **extra):
    """A subscription of two lines (coffee at 15 %, service at 25 %) for the customers."""
    data = {"name": "Kaffeavtale", "frequency_id": str(frequency_id), "action": "save",
            "active": "y", **extra,
            "lines-0-product_text": "Kaffebønner 1 kg", "lines-0-quantity": "2",
            "lines-0-unit_price": "249,50", "lines-0-vat_percent": "15",
            "lines-1-product_text": "Service", "lines-1-quantity": "1",
            "lines-1-unit_price": "400", "lines-1-vat_percent": "25"}
    for index, customer in enumerate(customers):
        data[f"subscribers-{index}-customer_id"] = str(customer.id)
        data[f"subscribers-{index}-end_date"] = end_dates[index] if index < len(end_dates) \
            else ""
        data[f"subscribers-{index}-start_date"] = start_dates[index] \
            if index < len(start_dates) else ""
        data[f"subscribers-{index}-active"] = "y"
    return client.post("/admin/sales/subscriptions/new", data=data)
