from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("leasing", "0004_itu_channel_grid")]

    operations = [
        migrations.AddField(
            model_name="litcarrier",
            name="spectrum_ghz",
            # Carriers lit before this field existed took 50 GHz (100G) or 75 GHz (400G).
            field=models.DecimalField(decimal_places=2, default=Decimal("50"), max_digits=6),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE leasing_litcarrier SET spectrum_ghz = 75 WHERE capacity_gbps >= 200",
            migrations.RunSQL.noop,
        ),
    ]
