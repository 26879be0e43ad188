#include "Json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

namespace omega::fake {

namespace {

// QJsonDocument escapes exactly as JSON requires and writes non-ASCII as raw UTF-8,
// which the split scenario needs (it cuts inside multi-byte sequences).
QByteArray scalarText(const QJsonValue& value) {
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

} // namespace

Json::Json(bool value)
    : m_text(value ? QByteArrayLiteral("true") : QByteArrayLiteral("false")) {}
Json::Json(int value)
    : m_text(QByteArray::number(value)) {}
Json::Json(qint64 value)
    : m_text(QByteArray::number(value)) {}
Json::Json(double value)
    : m_text(scalarText(QJsonValue(value))) {}
Json::Json(const QString& value)
    : m_text(scalarText(QJsonValue(value))) {}
Json::Json(const char* utf8)
    : m_text(scalarText(QJsonValue(QString::fromUtf8(utf8)))) {}

Json::Json(const QList<Json>& items)
    : m_text(QByteArrayLiteral("[")) {
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (i > 0)
            m_text += ',';
        m_text += items.at(i).text();
    }
    m_text += ']';
}

Json::Json(const JsonObject& object)
    : m_text(object.text()) {}

Json Json::raw(const QByteArray& jsonText) {
    Json json;
    json.m_text = jsonText;
    return json;
}

JsonObject::JsonObject(std::initializer_list<std::pair<const char*, Json>> members) {
    for (const auto& member : members)
        add(member.first, member.second);
}

JsonObject& JsonObject::add(const char* name, const Json& value) {
    return add(QString::fromUtf8(name), value);
}

JsonObject& JsonObject::add(const QString& name, const Json& value) {
    if (!m_members.isEmpty())
        m_members += ',';
    m_members += Json(name).text() + ':' + value.text();
    return *this;
}

QByteArray formatJson(const QByteArray& compact, JsonStyle style) {
    if (style == JsonStyle::Compact)
        return compact;
    const int indentWidth = style == JsonStyle::Indent2 ? 2 : style == JsonStyle::Indent4 ? 4 : 0;
    QByteArray out;
    out.reserve(compact.size() * 2);
    int depth = 0;
    const auto newline = [&] {
        if (indentWidth > 0)
            out += '\n' + QByteArray(depth * indentWidth, ' ');
    };
    bool inString = false;
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact.at(i);
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < compact.size())
                out += compact.at(++i);
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            out += c;
            break;
        case '{':
        case '[': {
            out += c;
            const char close = c == '{' ? '}' : ']';
            if (i + 1 < compact.size() && compact.at(i + 1) == close) { // {} and [] stay inline
                out += close;
                ++i;
                break;
            }
            ++depth;
            newline();
            break;
        }
        case '}':
        case ']':
            --depth;
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += ": ";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace omega::fake
