"""ServiceAvailability is ServiceUptime (field ``uptime``): in billing the word is uptime, as
"availability" means free capacity in leasing (issue 13). Renamed, data kept."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0017_usageport_snmpv3_credentials"),
        ("leasing", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="serviceavailability", name="one_availability_per_contract_period"
        ),
        migrations.RenameModel(old_name="ServiceAvailability", new_name="ServiceUptime"),
        migrations.RenameField(
            model_name="serviceuptime", old_name="availability", new_name="uptime"
        ),
        migrations.AlterField(
            model_name="serviceuptime",
            name="contract",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="uptimes",
                to="leasing.contract",
            ),
        ),
        migrations.AddConstraint(
            model_name="serviceuptime",
            constraint=models.UniqueConstraint(
                fields=("contract", "period"), name="one_uptime_per_contract_period"
            ),
        ),
    ]
