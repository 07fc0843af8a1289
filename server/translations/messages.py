"""The API's fixed messages in Turkish, keyed by their English text: titles, details, errors."""

from __future__ import annotations

TURKISH: dict[str, str] = {
    # Problem titles
    "Bad Request": "Hatalı istek",
    "Unauthorized": "Yetkisiz",
    "Forbidden": "Yasak",
    "Not Found": "Bulunamadı",
    "Method Not Allowed": "Yönteme izin verilmiyor",
    "Conflict": "Çakışma",
    "Gone": "Artık geçerli değil",
    "Request Entity Too Large": "İstek gövdesi çok büyük",
    "Content Too Large": "İstek gövdesi çok büyük",
    "Unsupported Media Type": "Desteklenmeyen içerik türü",
    "Unprocessable Content": "İşlenemeyen içerik",
    "Too Many Requests": "Çok fazla istek",
    "Service Unavailable": "Hizmet kullanılamıyor",
    # Details the API writes
    "The request body or query is invalid.": "İstek gövdesi veya sorgusu geçersiz.",
    "The request could not be parsed.": "İstek çözümlenemedi.",
    "The body is not valid JSON.": "Gövde geçerli JSON değil.",
    "The JSON body is nested too deeply.": "JSON gövdesi çok derin iç içe.",
    "Send the body as JSON, with Content-Type: application/json.": (
        "Gövdeyi JSON olarak, Content-Type: application/json ile gönderin."
    ),
    "The database is unreachable.": "Veritabanına ulaşılamıyor.",
    "Metrics need the metrics token, or a direct connection from this machine.": (
        "Ölçümler için ölçüm belirteci ya da bu makineden doğrudan bağlantı gerekir."
    ),
    "The database schema is not at the migrations' head: run flask db upgrade.": (
        "Veritabanı şeması son göç sürümünde değil: flask db upgrade çalıştırın."
    ),
    "The database is unavailable. Retry later; nothing was stored.": (
        "Veritabanına ulaşılamıyor. Daha sonra yeniden deneyin; hiçbir şey kaydedilmedi."
    ),
    "Your role may not use this endpoint.": "Rolünüz bu işlemi kullanamaz.",
    "The email or password is wrong.": "E-posta veya parola yanlış.",
    "The current password is wrong.": "Mevcut parola yanlış.",
    "The password is too weak.": "Parola çok zayıf.",
    "Too many attempts. Wait a little and try again.": (
        "Çok fazla deneme. Biraz bekleyip yeniden deneyin."
    ),
    "Too many exports. Wait a little and try again.": (
        "Çok fazla dışa aktarma. Biraz bekleyip yeniden deneyin."
    ),
    "The account is disabled.": "Hesap devre dışı.",
    "This session has been revoked.": "Bu oturum sonlandırıldı.",
    "Unknown refresh token.": "Bilinmeyen yenileme belirteci.",
    "Unknown invitation code.": "Bilinmeyen davet kodu.",
    # Consent and erasure (server/accounts/consents.py, server/accounts/routes/consents.py)
    "This is not the current consent text: show the current one and ask again.": (
        "Bu, yürürlükteki rıza metni değil: güncel metni gösterip yeniden sorun."
    ),
    "There is no consent to withdraw.": "Geri alınacak bir rıza yok.",
    "You have withdrawn your consent to processing, so nothing new is stored. Give your "
    "consent again in the app to continue.": (
        "Verilerinizin işlenmesine verdiğiniz rızayı geri aldınız; bu yüzden yeni bir şey "
        "kaydedilmiyor. Devam etmek için uygulamada yeniden rıza verin."
    ),
    "No consent text has been published yet.": "Henüz yayımlanmış bir rıza metni yok.",
    "This code was used, replaced or has expired. Ask your therapist for a new one.": (
        "Bu kod kullanılmış, yenisiyle değiştirilmiş ya da süresi dolmuş. "
        "Terapistinizden yeni bir kod isteyin."
    ),
    "An account with this email address already exists in this clinic.": (
        "Bu klinikte bu e-posta adresiyle bir hesap zaten var."
    ),
    "This address and password open accounts at several clinics: name the clinic.": (
        "Bu adres ve parola birden çok klinikte hesap açıyor: kliniği belirtin."
    ),
    "A bearer token is required.": "Bir erişim belirteci (bearer) gerekli.",
    "A fresh token is required.": "Yeni alınmış bir belirteç gerekli.",
    "The token failed verification.": "Belirteç doğrulanamadı.",
    "The token has been revoked.": "Belirteç iptal edildi.",
    "The token has expired.": "Belirtecin süresi doldu.",
    "The token is invalid.": "Belirteç geçersiz.",
    "A JSON body with the fields to change is required.": (
        "Değişecek alanları içeren bir JSON gövdesi gerekli."
    ),
    "A number in the JSON body has too many digits.": "JSON gövdesindeki bir sayı çok uzun.",
    "Only a clinic admin may assign a patient to another therapist.": (
        "Hastayı başka bir terapiste yalnızca klinik yöneticisi atayabilir."
    ),
    "The clinic must keep an active admin; make another admin first.": (
        "Klinikte etkin bir yönetici kalmalı; önce başka birini yönetici yapın."
    ),
    "No therapist or admin with this id in your clinic.": (
        "Kliniğinizde bu kimlikle bir terapist veya yönetici yok."
    ),
    "Unknown staff role.": "Bilinmeyen personel rolü.",
    "No such clinic.": "Böyle bir klinik yok.",
    "Invalid cursor.": "Geçersiz imleç.",
    "from must not be after to.": "from, to tarihinden sonra olamaz.",
    "Must be ≤ to.": "to değerinden büyük olamaz.",
    "The range may span at most 366 days.": "Aralık en çok 366 gün olabilir.",
    "Not a known IANA time zone, e.g. Europe/Istanbul.": (
        "Bilinen bir IANA saat dilimi değil, örneğin Europe/Istanbul."
    ),
    "Not a valid time: use HH:MM.": "Geçerli bir saat değil: SS:DD kullanın.",
    "Use the 24-hour form HH:MM, e.g. 08:30.": "24 saatlik SS:DD biçimini kullanın, örn. 08:30.",
    "Not a valid boolean: use true or false.": (
        "Geçerli bir mantıksal değer değil: true veya false."
    ),
    "Must not contain NUL characters.": "NUL karakteri içeremez.",
    "Must be valid Unicode text.": "Geçerli Unicode metin olmalı.",
    "Values must be unique.": "Değerler birbirinden farklı olmalı.",
    "The start must be before the end.": "Başlangıç bitişten önce olmalı.",
    "Give a template or items.": "Bir şablon veya öğeler verin.",
    "Required when no template is given.": "Şablon verilmediğinde zorunludur.",
    "A schedule is required.": "Bir program takvimi gerekli.",
    "Give at least one dosage field, or null.": "En az bir doz alanı ya da null verin.",
    "Give exactly one of exercise (slug) or exercise_id.": (
        "exercise (kısa ad) veya exercise_id alanlarından tam olarak birini verin."
    ),
    "Levels must be numbered 1, 2, 3, … in order.": "Seviyeler sırayla 1, 2, 3, … numaralanmalı.",
    "Unknown exercise.": "Bilinmeyen egzersiz.",
    "Unknown template.": "Bilinmeyen şablon.",
    "No exercise with this id.": "Bu kimlikle bir egzersiz yok.",
    "No programme with this id.": "Bu kimlikle bir program yok.",
    "The programme is invalid.": "Program geçersiz.",
    "Some items cannot move along their ladder.": "Bazı öğeler basamaklarında ilerleyemiyor.",
    "This programme has ended and can no longer change.": "Bu program sona erdi, değiştirilemez.",
    "Another revision was made at the same time.": "Aynı anda başka bir revizyon yapıldı.",
    "The shared library cannot be edited; add your own exercise instead.": (
        "Ortak kütüphane düzenlenemez; bunun yerine kendi egzersizinizi ekleyin."
    ),
    "This exercise is retired; it cannot be prescribed anew.": (
        "Bu egzersiz kullanımdan kaldırıldı; yeniden reçete edilemez."
    ),
    "The session does not match the prescription.": "Seans reçeteyle uyuşmuyor.",
    "This id already holds a different record.": "Bu kimlik zaten başka bir kayda ait.",
    "The record is outside the accepted time window.": "Kayıt kabul edilen zaman aralığı dışında.",
    "Must not be more than 60 days in the past.": "60 günden daha eski olamaz.",
    "Must not be in the future.": "Gelecekte olamaz.",
    # Outcome measures
    "Unknown measure.": "Bilinmeyen ölçek.",
    "The answers cannot be scored.": "Yanıtlar puanlanamıyor.",
    "Unknown item.": "Bilinmeyen madde.",
    "Answered twice.": "İki kez yanıtlanmış.",
    "Only an activity the patient names takes a name.": (
        "Yalnızca hastanın adlandırdığı bir etkinliğe ad verilir."
    ),
    "Name the activity you rate.": "Puanladığınız etkinliği adlandırın.",
    "Rate the activity you name.": "Adlandırdığınız etkinliği puanlayın.",
    "Not an activity named at baseline.": "Başlangıçta adlandırılan bir etkinlik değil.",
    "Not the activity named at baseline for this item.": (
        "Bu madde için başlangıçta adlandırılan etkinlik değil."
    ),
    "Give at least one of at_start, every_weeks or at_end.": (
        "at_start, every_weeks veya at_end alanlarından en az birini verin."
    ),
    "A change score is asked once treatment is under way, not at the start.": (
        "Değişim puanı başlangıçta değil, tedavi sürerken sorulur."
    ),
    "This measure is already scheduled on the programme.": "Bu ölçek programda zaten planlı.",
    "No measure on this programme with this id.": "Bu programda bu kimlikle bir ölçek yok.",
    "This administration has already been answered.": "Bu uygulama zaten yanıtlanmış.",
    "Use capital letters, digits and '-' (e.g. HIT-6).": (
        "Büyük harf, rakam ve '-' kullanın (örn. HIT-6)."
    ),
    "Use lowercase letters, digits, '_'.": "Küçük harf, rakam ve '_' kullanın.",
    "Too many requests. Wait a little and try again.": (
        "Çok fazla istek. Biraz bekleyip yeniden deneyin."
    ),
    "No calendar feed at this address.": "Bu adreste bir takvim akışı yok.",
    "The report's font (DejaVu Sans) is not installed on the server.": (
        "Raporun yazı tipi (DejaVu Sans) sunucuda kurulu değil."
    ),
    # marshmallow's own messages
    "Missing data for required field.": "Zorunlu alan eksik.",
    "Field may not be null.": "Alan null olamaz.",
    "Invalid value.": "Geçersiz değer.",
    "Unknown field.": "Bilinmeyen alan.",
    "Invalid input type.": "Geçersiz girdi türü.",
    "Invalid type.": "Geçersiz tür.",
    "Not a valid string.": "Geçerli bir metin değil.",
    "Not a valid integer.": "Geçerli bir tam sayı değil.",
    "Not a valid number.": "Geçerli bir sayı değil.",
    "Number too large.": "Sayı çok büyük.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "Özel sayısal değerlere (nan veya sonsuz) izin verilmez."
    ),
    "Not a valid boolean.": "Geçerli bir mantıksal değer değil.",
    "Not a valid date.": "Geçerli bir tarih değil.",
    "Not a valid datetime.": "Geçerli bir tarih-saat değil.",
    "Not a valid aware datetime.": "Saat farkı içeren geçerli bir tarih-saat değil.",
    "Not a valid UUID.": "Geçerli bir UUID değil.",
    "Not a valid list.": "Geçerli bir liste değil.",
    "Not a valid mapping type.": "Geçerli bir nesne değil.",
    "Not a valid email address.": "Geçerli bir e-posta adresi değil.",
    "Not a valid URL.": "Geçerli bir URL değil.",
}
