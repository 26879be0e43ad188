#pragma once

#include "HttpMessage.h"

namespace omega::fake {

// Reads one HTTP/1.x request from the front of a connection's receive buffer. A pure
// function: the connection calls it again whenever more bytes arrive.
struct HttpParseResult {
    enum class Status { Incomplete, Complete, Invalid };
    Status status = Status::Incomplete;
    HttpRequest request;          // Complete: the request (body decoded)
    qsizetype consumed = 0;       // Complete: bytes to drop from the buffer
    int errorStatus = 0;          // Invalid: 400, 413, 431, 505
    bool expectsContinue = false; // Incomplete: head read, "Expect: 100-continue" sent
};

HttpParseResult parseHttpRequest(const QByteArray& buffer);

constexpr qsizetype kMaxHeadBytes = 64 * 1024;
constexpr qsizetype kMaxBodyBytes = 32 * 1024 * 1024;

} // namespace omega::fake
