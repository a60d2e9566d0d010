from django import forms

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UsageUploadForm(forms.Form):
    file = forms.FileField(
        help_text=(
            "CSV with a header: circuit_id, ts, then in_bps and out_bps (rates of the 5-minute "
            "bucket starting at ts) or in_octets and out_octets (counters); optionally port."
        )
    )

    def clean_file(self):  # noqa: ANN201 - Django's contract
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("At most 20 MB at a time; split the file.")
        return upload
