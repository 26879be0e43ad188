#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstddef>
#include <initializer_list>
#include <utility>

namespace omega::fake {

class JsonObject;

// A JSON value held as compact text. The fake server builds its bodies with it instead of
// QJsonObject because QJsonObject sorts member names, and clients (and the people reading
// captured traffic) see the real services' member order: "id", "object", "created", …
class Json {
public:
    Json() = default; // null
    Json(std::nullptr_t) {}
    Json(bool value);
    Json(int value);
    Json(qint64 value);
    Json(double value);
    Json(const QString& value);
    Json(const char* utf8); // a JSON string, not JSON text
    Json(const QList<Json>& items);
    Json(const JsonObject& object);

    static Json raw(const QByteArray& jsonText);

    const QByteArray& text() const { return m_text; }

private:
    QByteArray m_text = QByteArrayLiteral("null");
};

// An object whose members keep the order they were added in.
class JsonObject {
public:
    JsonObject() = default;
    JsonObject(std::initializer_list<std::pair<const char*, Json>> members);

    JsonObject& add(const char* name, const Json& value);
    JsonObject& add(const QString& name, const Json& value);

    QByteArray text() const { return '{' + m_members + '}'; }

private:
    QByteArray m_members;
};

// How a service lays out its JSON text.
enum class JsonStyle {
    Compact, // {"a":1,"b":[2]}                  OpenAI/Azure/Anthropic streams, Ollama
    Spaced,  // {"a": 1,"b": [2]}                Gemini SSE events
    Indent2, // two-space pretty print          Gemini and OpenAI JSON bodies
    Indent4, // four-space pretty print         OpenAI error bodies
};

// Re-lays out compact JSON text (as produced by Json) in the given style.
QByteArray formatJson(const QByteArray& compact, JsonStyle style);
inline QByteArray formatJson(const Json& value, JsonStyle style) {
    return formatJson(value.text(), style);
}

} // namespace omega::fake
